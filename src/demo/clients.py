"""Legitimate kernel TCP clients for the demo: connect in a loop for SECONDS,
printing one JSON line per second (attempts, successes, latencies in ms).
Each connection is closed with SO_LINGER 0 (a RST), so neither side keeps
state once the handshake has been proven."""
import json, socket, struct, sys, time

host, port, seconds, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
end = time.time() + seconds
tick = time.time() + 1
stats = {"attempts": 0, "ok": 0, "lat": []}
while time.time() < end:
    t0 = time.time()
    s = socket.socket()
    s.settimeout(1.0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    stats["attempts"] += 1
    try:
        s.connect((host, port))
        stats["ok"] += 1
        stats["lat"].append((time.time() - t0) * 1000)
    except OSError:
        pass
    finally:
        s.close()
    if time.time() >= tick:
        print(json.dumps(stats), flush=True)
        stats = {"attempts": 0, "ok": 0, "lat": []}
        tick += 1
    pause = 1.0 / rate - (time.time() - t0)
    if pause > 0:
        time.sleep(pause)
print(json.dumps(stats), flush=True)
