// N-API glue: the Engine class as seen from JavaScript. Argument checks live
// here so the engine itself only ever sees valid values. No C++ exception
// crosses this boundary (built with NAPI_DISABLE_CPP_EXCEPTIONS).
//
// Two addons are built from this file (binding.gyp, CMakeLists.txt):
// synwall.node, the product, exports only Engine; synwall_testing.node is
// compiled with SYNWALL_TESTING and addon_testing.cc, and its Engine also has
// the test hooks (setClock pins the cookie clock, setFaults injects loss)
// beside the wire/checksum/cookie entry points the unit tests drive.
#include <napi.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <cstring>
#include <memory>
#include <string>

#include "engine.h"
#ifdef SYNWALL_TESTING
#include "addon_testing.h"
#endif

namespace synwall {
namespace {

bool ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return false;
}

// Reads an optional unsigned integer property within [lo, hi].
bool GetUint(const Napi::Object& o, const char* key, uint64_t lo, uint64_t hi,
             uint64_t* out) {
  Napi::Env env = o.Env();
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return true;
  if (!v.IsNumber()) return ThrowType(env, std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) ||
      d != static_cast<double>(static_cast<uint64_t>(d)))
    return ThrowType(env, std::string(key) + " must be an integer from " +
                              std::to_string(lo) + " to " + std::to_string(hi));
  *out = static_cast<uint64_t>(d);
  return true;
}

bool GetBool(const Napi::Object& o, const char* key, bool* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return true;
  if (!v.IsBoolean()) return ThrowType(o.Env(), std::string(key) + " must be a boolean");
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

bool GetString(const Napi::Object& o, const char* key, std::string* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return true;
  if (!v.IsString()) return ThrowType(o.Env(), std::string(key) + " must be a string");
  *out = v.As<Napi::String>().Utf8Value();
  return true;
}

// info[0] as an object, or a TypeError naming the call.
bool ObjectArg(const Napi::CallbackInfo& info, const char* call, Napi::Object* out) {
  if (info.Length() < 1 || !info[0].IsObject())
    return ThrowType(info.Env(), std::string(call) + " needs an options object");
  *out = info[0].As<Napi::Object>();
  return true;
}

// A 6-byte Buffer property copied into mac, or a TypeError naming it.
bool GetMac(const Napi::Object& o, const char* key, uint8_t mac[6]) {
  Napi::Value v = o.Get(key);
  if (!v.IsBuffer() || v.As<Napi::Buffer<uint8_t>>().Length() != 6)
    return ThrowType(o.Env(), std::string(key) + " must be a 6-byte Buffer");
  memcpy(mac, v.As<Napi::Buffer<uint8_t>>().Data(), 6);
  return true;
}

std::string MacString(const uint8_t* m) {
  char buf[18];
  snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Engine",
        {
            InstanceMethod("start", &EngineWrap::Start),
            InstanceMethod("stop", &EngineWrap::Stop),
            InstanceMethod("ref", &EngineWrap::Ref),
            InstanceMethod("unref", &EngineWrap::Unref),
            InstanceMethod("setListener", &EngineWrap::SetListener),
            InstanceMethod("setSynQueueFull", &EngineWrap::SetSynQueueFull),
            InstanceMethod("addFlow", &EngineWrap::AddFlow),
            InstanceMethod("removeFlow", &EngineWrap::RemoveFlow),
            InstanceMethod("flowCount", &EngineWrap::FlowCount),
            InstanceMethod("expectHandoff", &EngineWrap::ExpectHandoff),
            InstanceMethod("sendTcp", &EngineWrap::SendTcp),
            InstanceMethod("sendArpRequest", &EngineWrap::SendArpRequest),
            InstanceMethod("cookieReply", &EngineWrap::CookieReply),
            InstanceMethod("setSecret", &EngineWrap::SetSecret),
            InstanceMethod("tsClock", &EngineWrap::TsClock),
            InstanceMethod("counters", &EngineWrap::Counters),
#ifdef SYNWALL_TESTING
            InstanceMethod("setClock", &EngineWrap::SetClock),
            InstanceMethod("setFaults", &EngineWrap::SetFaults),
#endif
        });
  }

  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {}
  ~EngineWrap() override { Shutdown(); }

 private:
  void Shutdown() {
    engine_.Stop();
    if (tsfn_) {
      tsfn_.Release();
      tsfn_ = Napi::ThreadSafeFunction();
    }
    ring_ref_.Reset();
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (engine_.running()) {
      Napi::Error::New(env, "engine already started").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o;
    if (!ObjectArg(info, "start(options)", &o)) return env.Undefined();
    EngineConfig cfg;
    uint64_t ip = 0, wscale = cfg.our_wscale, win = cfg.syn_ack_window, flows = cfg.max_flows,
             period = cfg.cookie_period_ms, block_timeout = cfg.socket.ring_block_timeout_ms,
             nice = static_cast<uint64_t>(cfg.io_thread_nice);
    std::string rx_mode = "ring";
    if (!GetString(o, "interface", &cfg.socket.ifname) ||
        !GetString(o, "netns", &cfg.socket.netns) ||
        !GetUint(o, "localIp", 1, 0xFFFFFFFFu, &ip) ||
        !GetString(o, "rxMode", &rx_mode) || !GetBool(o, "answerArp", &cfg.answer_arp) ||
        !GetBool(o, "rstUnknown", &cfg.rst_unknown) ||
        !GetUint(o, "ourWscale", 0, 14, &wscale) || !GetUint(o, "synAckWindow", 1, 65535, &win) ||
        !GetBool(o, "ecn", &cfg.ecn) || !GetUint(o, "maxFlows", 1, 1u << 24, &flows) ||
        !GetUint(o, "cookiePeriodMs", 1, 86400000, &period) ||
        !GetUint(o, "ringBlockTimeoutMs", 1, 1000, &block_timeout) ||
        !GetUint(o, "ioThreadNice", 0, 19, &nice) ||
        !GetBool(o, "ioThreadRealtime", &cfg.io_thread_realtime))
      return env.Undefined();
    if (cfg.socket.ifname.empty()) {
      ThrowType(env, "interface is required");
      return env.Undefined();
    }
    if (ip == 0) {
      ThrowType(env, "localIp is required");
      return env.Undefined();
    }
    if (rx_mode == "ring") cfg.socket.rx_mode = RxMode::kRing;
    else if (rx_mode == "recvmmsg") cfg.socket.rx_mode = RxMode::kRecvmmsg;
    else if (rx_mode == "frame-ring") cfg.socket.rx_mode = RxMode::kFrameRing;
    else {
      ThrowType(env, "rxMode must be 'ring', 'frame-ring' or 'recvmmsg'");
      return env.Undefined();
    }
    cfg.socket.local_ip = static_cast<uint32_t>(ip);
    cfg.socket.ring_block_timeout_ms = static_cast<uint32_t>(block_timeout);
    cfg.our_wscale = static_cast<uint8_t>(wscale);
    cfg.syn_ack_window = static_cast<uint16_t>(win);
    cfg.max_flows = static_cast<uint32_t>(flows);
    cfg.cookie_period_ms = period;
    cfg.io_thread_nice = static_cast<int>(nice);

    Napi::Value ring = o.Get("ring");
    if (!ring.IsArrayBuffer()) {
      ThrowType(env, "ring must be an ArrayBuffer");
      return env.Undefined();
    }
    Napi::Value cb = o.Get("onRecords");
    if (!cb.IsFunction()) {
      ThrowType(env, "onRecords must be a function");
      return env.Undefined();
    }
    Napi::ArrayBuffer ab = ring.As<Napi::ArrayBuffer>();
    ring_ref_ = Napi::Persistent(ab.As<Napi::Object>());
    tsfn_ = Napi::ThreadSafeFunction::New(env, cb.As<Napi::Function>(), "synwall-records", 0, 1);
    Napi::ThreadSafeFunction tsfn = tsfn_;
    std::string err;
    bool ok = engine_.Start(
        cfg, static_cast<uint8_t*>(ab.Data()), ab.ByteLength(),
        [tsfn]() mutable { tsfn.NonBlockingCall(); }, &err);
    if (!ok) {
      Shutdown();
      Napi::Error e = Napi::Error::New(env, err);
      if (err.find("CAP_") != std::string::npos) e.Set("code", Napi::String::New(env, "EPERM"));
      else if (err.find("not found") != std::string::npos)
        e.Set("code", Napi::String::New(env, "ENODEV"));
      e.ThrowAsJavaScriptException();
      return env.Undefined();
    }
    InterfaceInfo ii = engine_.info();
    Napi::Object r = Napi::Object::New(env);
    r.Set("ifindex", ii.ifindex);
    r.Set("mac", MacString(ii.mac));
    r.Set("mtu", ii.mtu);
    r.Set("mss", engine_.our_mss());
    return r;
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (tsfn_) tsfn_.Ref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (tsfn_) tsfn_.Unref(info.Env());
    return info.Env().Undefined();
  }

  bool Port(const Napi::CallbackInfo& info, size_t i, uint16_t* out) {
    if (info.Length() <= i || !info[i].IsNumber())
      return ThrowType(info.Env(), "port must be a number");
    int64_t v = info[i].As<Napi::Number>().Int64Value();
    if (v < 1 || v > 65535) return ThrowType(info.Env(), "port must be from 1 to 65535");
    *out = static_cast<uint16_t>(v);
    return true;
  }

  bool Addr(const Napi::CallbackInfo& info, size_t i, uint32_t* out) {
    if (info.Length() <= i || !info[i].IsNumber())
      return ThrowType(info.Env(), "address must be a number");
    *out = info[i].As<Napi::Number>().Uint32Value();
    return true;
  }

  Napi::Value SetListener(const Napi::CallbackInfo& info) {
    uint16_t port = 0;
    if (!Port(info, 0, &port)) return info.Env().Undefined();
    uint32_t mode = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 99;
    if (mode > 3) {
      ThrowType(info.Env(), "mode must be 0 (none), 1 (always), 2 (auto) or 3 (never)");
      return info.Env().Undefined();
    }
    const bool kernel = info.Length() > 2 && info[2].ToBoolean().Value();
    return Napi::Boolean::New(info.Env(),
                              engine_.SetListener(port, static_cast<ListenMode>(mode), kernel));
  }

  Napi::Value SetSynQueueFull(const Napi::CallbackInfo& info) {
    uint16_t port = 0;
    if (!Port(info, 0, &port)) return info.Env().Undefined();
    engine_.SetSynQueueFull(port, info.Length() > 1 && info[1].ToBoolean().Value());
    return info.Env().Undefined();
  }

  Napi::Value AddFlow(const Napi::CallbackInfo& info) {
    uint32_t raddr = 0;
    uint16_t rport = 0, lport = 0;
    if (!Addr(info, 0, &raddr) || !Port(info, 1, &rport) || !Port(info, 2, &lport))
      return info.Env().Undefined();
    return Napi::Number::New(info.Env(), engine_.AddFlow(raddr, rport, lport));
  }

  // expectHandoff({ raddr, rport, lport, iss, irs, mss, wscale?, ourWscale,
  // sackPermitted, timestamps, window }): see Engine::ExpectHandoff.
  Napi::Value ExpectHandoff(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o;
    if (!ObjectArg(info, "expectHandoff(options)", &o)) return env.Undefined();
    uint64_t raddr = 0, rport = 0, lport = 0, iss = 0, irs = 0, mss = 536, wscale = 0xFF,
             our_wscale = 0, window = 0;
    bool sack = false, ts = false;
    if (!GetUint(o, "raddr", 0, 0xFFFFFFFFu, &raddr) || !GetUint(o, "rport", 1, 65535, &rport) ||
        !GetUint(o, "lport", 1, 65535, &lport) || !GetUint(o, "iss", 0, 0xFFFFFFFFu, &iss) ||
        !GetUint(o, "irs", 0, 0xFFFFFFFFu, &irs) || !GetUint(o, "mss", 1, 65535, &mss) ||
        !GetUint(o, "wscale", 0, 0xFF, &wscale) || !GetUint(o, "ourWscale", 0, 14, &our_wscale) ||
        !GetUint(o, "window", 0, 0xFFFFFFFFu, &window) ||
        !GetBool(o, "sackPermitted", &sack) || !GetBool(o, "timestamps", &ts))
      return env.Undefined();
    HandoffParams p;
    p.laddr = engine_.local_ip();
    p.raddr = static_cast<uint32_t>(raddr);
    p.rport = static_cast<uint16_t>(rport);
    p.lport = static_cast<uint16_t>(lport);
    p.iss = static_cast<uint32_t>(iss);
    p.irs = static_cast<uint32_t>(irs);
    p.mss = static_cast<uint16_t>(mss);
    p.has_wscale = wscale <= 14;
    p.snd_wscale = p.has_wscale ? static_cast<uint8_t>(wscale) : 0;
    p.rcv_wscale = p.has_wscale ? static_cast<uint8_t>(our_wscale) : 0;
    p.sack_permitted = sack;
    p.has_ts = ts;
    p.rcv_wnd = static_cast<uint32_t>(window);
    return Napi::Boolean::New(env, engine_.ExpectHandoff(p));
  }

  Napi::Value RemoveFlow(const Napi::CallbackInfo& info) {
    uint32_t raddr = 0;
    uint16_t rport = 0, lport = 0;
    if (!Addr(info, 0, &raddr) || !Port(info, 1, &rport) || !Port(info, 2, &lport))
      return info.Env().Undefined();
    return Napi::Boolean::New(info.Env(), engine_.RemoveFlow(raddr, rport, lport));
  }

  Napi::Value FlowCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(engine_.FlowCount()));
  }

  Napi::Value SendTcp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o;
    if (!ObjectArg(info, "sendTcp(segment)", &o)) return env.Undefined();
    TcpEmit e;
    uint64_t v[10] = {};
    const char* keys[] = {"saddr", "daddr", "sport", "dport", "seq", "ack", "flags", "window", "ttl", "ipId"};
    const uint64_t hi[] = {0xFFFFFFFFu, 0xFFFFFFFFu, 65535, 65535, 0xFFFFFFFFu, 0xFFFFFFFFu, 255, 65535, 255, 65535};
    v[8] = 64;
    for (int i = 0; i < 10; i++)
      if (!GetUint(o, keys[i], 0, hi[i], &v[i])) return env.Undefined();
    e.saddr = static_cast<uint32_t>(v[0]);
    e.daddr = static_cast<uint32_t>(v[1]);
    e.sport = static_cast<uint16_t>(v[2]);
    e.dport = static_cast<uint16_t>(v[3]);
    e.seq = static_cast<uint32_t>(v[4]);
    e.ack = static_cast<uint32_t>(v[5]);
    e.flags = static_cast<uint8_t>(v[6]);
    e.window = static_cast<uint16_t>(v[7]);
    e.ttl = static_cast<uint8_t>(v[8]);
    e.ip_id = static_cast<uint16_t>(v[9]);
    if (!GetMac(o, "dstMac", e.dst_mac)) return env.Undefined();
    uint64_t mss = 0, ws = 0, tsv = 0, tse = 0;
    bool sack_ok = false;
    if (!GetUint(o, "mss", 0, 65535, &mss) || !GetUint(o, "wscale", 0, 14, &ws) ||
        !GetBool(o, "sackPermitted", &sack_ok) || !GetUint(o, "tsVal", 0, 0xFFFFFFFFu, &tsv) ||
        !GetUint(o, "tsEcr", 0, 0xFFFFFFFFu, &tse))
      return env.Undefined();
    e.opt.has_mss = !o.Get("mss").IsUndefined();
    e.opt.mss = static_cast<uint16_t>(mss);
    e.opt.has_wscale = !o.Get("wscale").IsUndefined();
    e.opt.wscale = static_cast<uint8_t>(ws);
    e.opt.sack_permitted = sack_ok;
    e.opt.has_ts = !o.Get("tsVal").IsUndefined();
    e.opt.ts_val = static_cast<uint32_t>(tsv);
    e.opt.ts_ecr = static_cast<uint32_t>(tse);
    Napi::Value sack = o.Get("sack");
    if (sack.IsArray()) {
      Napi::Array a = sack.As<Napi::Array>();
      uint32_t n = a.Length() / 2;
      if (n > 4) n = 4;
      for (uint32_t i = 0; i < n; i++) {
        e.opt.sack_left[i] = a.Get(2 * i).ToNumber().Uint32Value();
        e.opt.sack_right[i] = a.Get(2 * i + 1).ToNumber().Uint32Value();
      }
      e.opt.sack_count = static_cast<uint8_t>(n);
    }
    Napi::Value payload = o.Get("payload");
    if (payload.IsTypedArray()) {
      Napi::TypedArray ta = payload.As<Napi::TypedArray>();
      e.payload = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      e.payload_len = ta.ByteLength();
    } else if (!payload.IsUndefined()) {
      ThrowType(env, "payload must be a Uint8Array");
      return env.Undefined();
    }
    return Napi::Boolean::New(env, engine_.SendTcp(e));
  }

  Napi::Value CookieReply(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o;
    if (!ObjectArg(info, "cookieReply(syn)", &o)) return env.Undefined();
    uint64_t raddr = 0, laddr = 0, rport = 0, lport = 0, seq = 0, flags = 0, mss = 0, ws = 0, tsv = 0;
    bool sack = false;
    if (!GetUint(o, "raddr", 0, 0xFFFFFFFFu, &raddr) || !GetUint(o, "laddr", 0, 0xFFFFFFFFu, &laddr) ||
        !GetUint(o, "rport", 1, 65535, &rport) || !GetUint(o, "lport", 1, 65535, &lport) ||
        !GetUint(o, "seq", 0, 0xFFFFFFFFu, &seq) || !GetUint(o, "flags", 0, 255, &flags) ||
        !GetUint(o, "mss", 0, 65535, &mss) || !GetUint(o, "wscale", 0, 255, &ws) ||
        !GetUint(o, "tsVal", 0, 0xFFFFFFFFu, &tsv) || !GetBool(o, "sackPermitted", &sack))
      return env.Undefined();
    TcpSegment s;
    if (!GetMac(o, "mac", s.src_mac)) return env.Undefined();
    s.saddr = static_cast<uint32_t>(raddr);
    s.daddr = static_cast<uint32_t>(laddr);
    s.sport = static_cast<uint16_t>(rport);
    s.dport = static_cast<uint16_t>(lport);
    s.seq = static_cast<uint32_t>(seq);
    s.flags = static_cast<uint8_t>(flags);
    s.opt.has_mss = !o.Get("mss").IsUndefined();
    s.opt.mss = static_cast<uint16_t>(mss);
    s.opt.has_wscale = !o.Get("wscale").IsUndefined();
    s.opt.wscale = static_cast<uint8_t>(ws);
    s.opt.sack_permitted = sack;
    s.opt.has_ts = !o.Get("tsVal").IsUndefined();
    s.opt.ts_val = static_cast<uint32_t>(tsv);
    return Napi::Boolean::New(env, engine_.CookieReply(s));
  }

  Napi::Value SendArpRequest(const Napi::CallbackInfo& info) {
    uint32_t ip = 0;
    if (!Addr(info, 0, &ip)) return info.Env().Undefined();
    return Napi::Boolean::New(info.Env(), engine_.SendArpRequest(ip));
  }

  Napi::Value SetSecret(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsBuffer() ||
        info[0].As<Napi::Buffer<uint8_t>>().Length() != 16) {
      ThrowType(info.Env(), "cookieSecret must be a 16-byte Buffer");
      return info.Env().Undefined();
    }
    CookieSecret s;
    memcpy(s.key, info[0].As<Napi::Buffer<uint8_t>>().Data(), 16);
    engine_.SetSecret(s);
    return info.Env().Undefined();
  }

  Napi::Value TsClock(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), engine_.TsClock());
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint64_t c[static_cast<size_t>(Counter::kCount)];
    uint64_t d[static_cast<size_t>(Drop::kCount)];
    uint64_t h[static_cast<size_t>(HandoffError::kCount)];
    engine_.ReadCounters(c, d, h);
    Napi::Object out = Napi::Object::New(env);
    for (size_t i = 0; i < static_cast<size_t>(Counter::kCount); i++)
      out.Set(Engine::CounterName(static_cast<Counter>(i)), static_cast<double>(c[i]));
    Napi::Object drops = Napi::Object::New(env);
    for (size_t i = 1; i < static_cast<size_t>(Drop::kCount); i++)
      drops.Set(DropName(static_cast<Drop>(i)), static_cast<double>(d[i]));
    out.Set("drops", drops);
    Napi::Object failures = Napi::Object::New(env);
    for (size_t i = 1; i < static_cast<size_t>(HandoffError::kCount); i++)
      failures.Set(HandoffErrorName(static_cast<HandoffError>(i)), static_cast<double>(h[i]));
    out.Set("handoffFailuresByReason", failures);
    return out;
  }

#ifdef SYNWALL_TESTING
  // Test hooks: in synwall_testing.node only.
  Napi::Value SetClock(const Napi::CallbackInfo& info) {
    int64_t ms = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int64Value() : -1;
    engine_.SetClock(ms < 0 ? -1 : ms);
    return info.Env().Undefined();
  }

  Napi::Value SetFaults(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o;
    if (!ObjectArg(info, "setFaults(options)", &o)) return env.Undefined();
    uint64_t seed = 1, drop = 0, dup = 0, reorder = 0;
    if (!GetUint(o, "seed", 0, 0xFFFFFFFFu, &seed) || !GetUint(o, "dropPerMille", 0, 1000, &drop) ||
        !GetUint(o, "duplicatePerMille", 0, 1000, &dup) ||
        !GetUint(o, "reorderPerMille", 0, 1000, &reorder))
      return env.Undefined();
    engine_.SetFaults(static_cast<uint32_t>(seed), static_cast<uint16_t>(drop),
                      static_cast<uint16_t>(dup), static_cast<uint16_t>(reorder));
    return env.Undefined();
  }
#endif

  Engine engine_;
  Napi::ThreadSafeFunction tsfn_;
  Napi::ObjectReference ring_ref_;
};

}  // namespace
}  // namespace synwall

namespace synwall {
namespace {

// tcpInfo(fd): the kernel's TCP_INFO of a handed-off socket, for listings.
Napi::Value TcpInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowType(env, "fd must be a number");
    return env.Undefined();
  }
  tcp_info ti = {};
  socklen_t len = sizeof ti;
  if (getsockopt(info[0].As<Napi::Number>().Int32Value(), SOL_TCP, TCP_INFO, &ti, &len) != 0)
    return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", ti.tcpi_state);
  o.Set("sndMss", ti.tcpi_snd_mss);
  o.Set("rcvMss", ti.tcpi_rcv_mss);
  o.Set("sndWscale", (ti.tcpi_options & TCPI_OPT_WSCALE) ? ti.tcpi_snd_wscale : -1);
  o.Set("rcvWscale", (ti.tcpi_options & TCPI_OPT_WSCALE) ? ti.tcpi_rcv_wscale : -1);
  o.Set("sack", (ti.tcpi_options & TCPI_OPT_SACK) != 0);
  o.Set("timestamps", (ti.tcpi_options & TCPI_OPT_TIMESTAMPS) != 0);
  o.Set("rttUs", ti.tcpi_rtt);
  o.Set("rttVarUs", ti.tcpi_rttvar);
  o.Set("cwnd", ti.tcpi_snd_cwnd);
  o.Set("unacked", ti.tcpi_unacked);
  o.Set("retransmits", ti.tcpi_total_retrans);
  return o;
}

// probeRepair(): 0 if this process may put a socket into TCP_REPAIR, else errno.
Napi::Value ProbeRepair(const Napi::CallbackInfo& info) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Napi::Number::New(info.Env(), errno);
  const int on = 1;
  int err = setsockopt(fd, SOL_TCP, TCP_REPAIR, &on, sizeof on) == 0 ? 0 : errno;
  close(fd);
  return Napi::Number::New(info.Env(), err);
}

}  // namespace
}  // namespace synwall

static Napi::Object InitSynwall(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", synwall::EngineWrap::Define(env));
  exports.Set("tcpInfo", Napi::Function::New(env, synwall::TcpInfo, "tcpInfo"));
  exports.Set("handoffMark", Napi::Number::New(env, synwall::kHandoffMark));
  exports.Set("probeRepair", Napi::Function::New(env, synwall::ProbeRepair, "probeRepair"));
  Napi::Array names = Napi::Array::New(env);
  for (uint32_t i = 0; i < static_cast<uint32_t>(synwall::HandoffError::kCount); i++)
    names.Set(i, synwall::HandoffErrorName(static_cast<synwall::HandoffError>(i)));
  exports.Set("handoffFailureNames", names);
#ifdef SYNWALL_TESTING
  synwall::RegisterTestingExports(env, exports);
#endif
  return exports;
}

NODE_API_MODULE(synwall, InitSynwall)
