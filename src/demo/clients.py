"""Legitimate kernel TCP clients for the demo: HTTP/1.1 GETs with
'Connection: close' in a loop for SECONDS at RATE per second, printing one
JSON line per second (attempts, successes, latencies in ms of the whole
request: connect, request, full response, server's FIN)."""
import json, socket, sys, time

host, port, seconds, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
req = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
end = time.time() + seconds
tick = time.time() + 1
stats = {"attempts": 0, "ok": 0, "lat": []}
while time.time() < end:
    t0 = time.time()
    stats["attempts"] += 1
    s = socket.socket()
    s.settimeout(2.0)
    try:
        s.connect((host, port))
        s.sendall(req)
        resp = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            resp += b
        if resp.startswith(b"HTTP/1.1 200") and resp.endswith(b"synwall\n"):
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
