// The entry points of synwall_testing.node beside its Engine (see addon.cc):
// thin N-API wrappers over wire/checksum/cookie for the unit tests, fuzz-like
// property tests and benchmarks. Never part of synwall.node. Input frames are copied into exactly-sized heap blocks before parsing
// so that the ASan build catches any read past `len` (a JS Buffer usually sits
// inside a larger pool where an over-read would go unnoticed).
#include "addon_testing.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "cookie.h"
#include "demux.h"
#include "record_ring.h"
#include "wire.h"

namespace synwall {

namespace {

// ---- argument reading --------------------------------------------------------

// Reads typed fields from a JS object. The first bad field throws a TypeError;
// later reads then return their defaults without throwing again (only one JS
// exception can be pending), and callers check ok() once at the end.
class Reader {
 public:
  Reader(Napi::Env env, Napi::Value v) : env_(env) {
    if (!v.IsObject()) {
      Fail("argument", "an object");
      obj_ = Napi::Object::New(env);
    } else {
      obj_ = v.As<Napi::Object>();
    }
  }

  bool ok() const { return ok_; }

  double Num(const char* name, double def, double max) {
    Napi::Value v = obj_.Get(name);
    if (!ok_ || v.IsUndefined()) return def;
    if (v.IsBigInt()) {
      bool lossless = false;
      const double d =
          static_cast<double>(v.As<Napi::BigInt>().Uint64Value(&lossless));
      if (lossless && d <= max) return d;
    } else if (v.IsNumber()) {
      const double d = v.As<Napi::Number>().DoubleValue();
      if (d >= 0 && d <= max && std::floor(d) == d) return d;
    }
    Fail(name, "a non-negative integer in range");
    return def;
  }
  uint32_t U32(const char* name, uint32_t def, uint32_t max = 0xFFFFFFFFu) {
    return static_cast<uint32_t>(Num(name, def, max));
  }
  uint64_t U64(const char* name, uint64_t def) {
    Napi::Value v = obj_.Get(name);
    if (ok_ && v.IsBigInt()) {
      bool lossless = false;
      const uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
      if (lossless) return r;
      Fail(name, "a u64");
      return def;
    }
    return static_cast<uint64_t>(
        Num(name, static_cast<double>(def), 9007199254740991.0));
  }
  bool Bool(const char* name, bool def) {
    Napi::Value v = obj_.Get(name);
    if (!ok_ || v.IsUndefined()) return def;
    if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
    Fail(name, "a boolean");
    return def;
  }
  // Uint8Array/Buffer field; *len = 0 and *data = nullptr when absent.
  void Bytes(const char* name, const uint8_t** data, size_t* len) {
    *data = nullptr;
    *len = 0;
    Napi::Value v = obj_.Get(name);
    if (!ok_ || v.IsUndefined()) return;
    if (!BytesOf(v, data, len)) Fail(name, "a Uint8Array");
  }
  // A MAC as a 6-byte Uint8Array or "aa:bb:cc:dd:ee:ff"; zeros when absent.
  void Mac(const char* name, uint8_t out[6]) {
    std::memset(out, 0, 6);
    Napi::Value v = obj_.Get(name);
    if (!ok_ || v.IsUndefined()) return;
    if (!MacOf(v, out)) Fail(name, "a MAC (6 bytes or aa:bb:cc:dd:ee:ff)");
  }
  Napi::Value Field(const char* name) { return obj_.Get(name); }

  static bool BytesOf(Napi::Value v, const uint8_t** data, size_t* len) {
    if (!v.IsTypedArray()) return false;
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    if (ta.TypedArrayType() != napi_uint8_array) return false;
    Napi::Uint8Array u = v.As<Napi::Uint8Array>();
    *data = u.Data();
    *len = u.ByteLength();
    return true;
  }
  static bool MacOf(Napi::Value v, uint8_t out[6]) {
    const uint8_t* d = nullptr;
    size_t n = 0;
    if (BytesOf(v, &d, &n)) {
      if (n != 6) return false;
      std::memcpy(out, d, 6);
      return true;
    }
    if (!v.IsString()) return false;
    const std::string s = v.As<Napi::String>().Utf8Value();
    unsigned b[6];
    char tail;
    if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
                    &b[3], &b[4], &b[5], &tail) != 6) {
      return false;
    }
    for (int i = 0; i < 6; i++) out[i] = static_cast<uint8_t>(b[i]);
    return true;
  }

 private:
  void Fail(const char* name, const char* expect) {
    if (!ok_) return;
    ok_ = false;
    const std::string msg = std::string(name) + " must be " + expect;
    Napi::TypeError::New(env_, msg).ThrowAsJavaScriptException();
  }

  Napi::Env env_;
  Napi::Object obj_;
  bool ok_ = true;
};

Napi::Value ThrowType(Napi::Env env, const char* msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Positional integer argument in [0, max].
bool ArgU32(const Napi::CallbackInfo& info, size_t i, uint32_t max,
            uint32_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= max && std::floor(d) == d)) return false;
  *out = static_cast<uint32_t>(d);
  return true;
}

bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const uint8_t** d,
              size_t* n) {
  return info.Length() > i && Reader::BytesOf(info[i], d, n);
}

// An exactly-sized heap copy, so ASan flags any read past the end.
std::unique_ptr<uint8_t[]> ExactCopy(const uint8_t* d, size_t n) {
  std::unique_ptr<uint8_t[]> p(new uint8_t[n ? n : 1]);
  if (n) std::memcpy(p.get(), d, n);
  return p;
}

std::string MacString(const uint8_t m[6]) {
  char s[18];
  std::snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
                m[3], m[4], m[5]);
  return s;
}

// ---- wire --------------------------------------------------------------------

Napi::Object OptionsToJs(Napi::Env env, const TcpWireOptions& o) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("hasMss", o.has_mss);
  r.Set("mss", o.mss);
  r.Set("hasWscale", o.has_wscale);
  r.Set("wscale", o.wscale);
  r.Set("sackPermitted", o.sack_permitted);
  r.Set("hasTs", o.has_ts);
  r.Set("tsVal", o.ts_val);
  r.Set("tsEcr", o.ts_ecr);
  Napi::Array sack = Napi::Array::New(env, o.sack_count);
  for (uint32_t i = 0; i < o.sack_count && i < 4; i++) {
    Napi::Array blk = Napi::Array::New(env, 2);
    blk.Set(0u, o.sack_left[i]);
    blk.Set(1u, o.sack_right[i]);
    sack.Set(i, blk);
  }
  r.Set("sack", sack);
  return r;
}

Napi::Object ArpToJs(Napi::Env env, const ArpPacket& a) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("op", a.op);
  r.Set("senderMac", MacString(a.sender_mac));
  r.Set("senderIp", a.sender_ip);
  r.Set("targetMac", MacString(a.target_mac));
  r.Set("targetIp", a.target_ip);
  return r;
}

Napi::Object TcpToJs(Napi::Env env, const TcpSegment& t,
                     const uint8_t* frame) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("srcMac", MacString(t.src_mac));
  r.Set("dstMac", MacString(t.dst_mac));
  r.Set("saddr", t.saddr);
  r.Set("daddr", t.daddr);
  r.Set("ttl", t.ttl);
  r.Set("tos", t.tos);
  r.Set("ipId", t.ip_id);
  r.Set("sport", t.sport);
  r.Set("dport", t.dport);
  r.Set("seq", t.seq);
  r.Set("ack", t.ack);
  r.Set("flags", t.flags);
  r.Set("window", t.window);
  r.Set("urgPtr", t.urg_ptr);
  r.Set("options", OptionsToJs(env, t.opt));
  r.Set("payloadOffset",
        static_cast<double>(t.payload ? t.payload - frame : 0));
  r.Set("payloadLength", static_cast<double>(t.payload_len));
  return r;
}

const char* KindName(ParsedFrame::Kind k) {
  switch (k) {
    case ParsedFrame::kArp:
      return "arp";
    case ParsedFrame::kTcp:
      return "tcp";
    default:
      return "dropped";
  }
}

// parseFrame(buf, localIp, csumStatus?, ourMac?) ; csumStatus 0 unknown, 1
// partial, 2 valid; ourMac (a MAC) turns on the link-layer checks.
Napi::Value ParseFrameJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* d = nullptr;
  size_t n = 0;
  uint32_t local_ip = 0, csum = 0;
  if (!ArgBytes(info, 0, &d, &n)) return ThrowType(env, "frame: Uint8Array");
  if (!ArgU32(info, 1, 0xFFFFFFFFu, &local_ip)) {
    return ThrowType(env, "localIp: u32");
  }
  if (info.Length() > 2 && !info[2].IsUndefined() && !ArgU32(info, 2, 2, &csum)) {
    return ThrowType(env, "csumStatus: 0 (unknown), 1 (partial) or 2 (valid)");
  }
  uint8_t mac[6];
  const bool with_mac = info.Length() > 3 && !info[3].IsUndefined();
  if (with_mac && !Reader::MacOf(info[3], mac)) return ThrowType(env, "ourMac: a MAC");
  auto copy = ExactCopy(d, n);
  const ParsedFrame f = ParseFrame(copy.get(), n, local_ip, static_cast<CsumStatus>(csum),
                                   with_mac ? mac : nullptr);
  Napi::Object r = Napi::Object::New(env);
  r.Set("kind", KindName(f.kind));
  r.Set("drop", DropName(f.drop));
  if (f.kind == ParsedFrame::kArp || (f.arp.op != 0)) {
    r.Set("arp", ArpToJs(env, f.arp));
  }
  if (f.kind == ParsedFrame::kTcp) r.Set("tcp", TcpToJs(env, f.tcp, copy.get()));
  return r;
}

// parseTcpOptions(buf) -> { ok, options }
Napi::Value ParseTcpOptionsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* d = nullptr;
  size_t n = 0;
  if (!ArgBytes(info, 0, &d, &n)) return ThrowType(env, "options: Uint8Array");
  auto copy = ExactCopy(d, n);
  TcpWireOptions o;
  const bool ok = ParseTcpOptions(copy.get(), n, &o);
  Napi::Object r = Napi::Object::New(env);
  r.Set("ok", ok);
  r.Set("options", OptionsToJs(env, o));
  return r;
}

void ReadOptions(Reader& rd, TcpWireOptions* o) {
  Napi::Value v = rd.Field("options");
  if (!rd.ok() || v.IsUndefined()) return;
  Reader r(v.Env(), v);
  o->has_mss = r.Bool("hasMss", false);
  o->mss = static_cast<uint16_t>(r.U32("mss", 0, 0xFFFF));
  o->has_wscale = r.Bool("hasWscale", false);
  o->wscale = static_cast<uint8_t>(r.U32("wscale", 0, 0xFF));
  o->sack_permitted = r.Bool("sackPermitted", false);
  o->has_ts = r.Bool("hasTs", false);
  o->ts_val = r.U32("tsVal", 0);
  o->ts_ecr = r.U32("tsEcr", 0);
  Napi::Value sack = r.Field("sack");
  if (!r.ok() || sack.IsUndefined()) return;
  if (!sack.IsArray() || sack.As<Napi::Array>().Length() > 4) {
    ThrowType(v.Env(), "options.sack must be an array of at most 4 [l, r]");
    return;
  }
  Napi::Array a = sack.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value blk = a.Get(i);
    if (!blk.IsArray() || blk.As<Napi::Array>().Length() != 2) {
      ThrowType(v.Env(), "options.sack blocks must be [left, right]");
      return;
    }
    Napi::Object b = blk.As<Napi::Object>();
    Reader br(v.Env(), b);
    o->sack_left[i] = br.U32("0", 0);
    o->sack_right[i] = br.U32("1", 0);
    if (!br.ok()) return;
  }
  o->sack_count = static_cast<uint8_t>(a.Length());
}

// emitTcpFrame({srcMac, dstMac, saddr, daddr, sport, dport, seq, ack, flags,
//   window, ttl, ipId, tos, options, payload, capacity}) -> Buffer | null
Napi::Value EmitTcpFrameJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Reader r(env, info.Length() > 0 ? info[0] : env.Undefined());
  TcpEmit s;
  r.Mac("srcMac", s.src_mac);
  r.Mac("dstMac", s.dst_mac);
  s.saddr = r.U32("saddr", 0);
  s.daddr = r.U32("daddr", 0);
  s.sport = static_cast<uint16_t>(r.U32("sport", 0, 0xFFFF));
  s.dport = static_cast<uint16_t>(r.U32("dport", 0, 0xFFFF));
  s.seq = r.U32("seq", 0);
  s.ack = r.U32("ack", 0);
  s.flags = static_cast<uint8_t>(r.U32("flags", 0, 0xFF));
  s.window = static_cast<uint16_t>(r.U32("window", 0, 0xFFFF));
  s.ttl = static_cast<uint8_t>(r.U32("ttl", 64, 0xFF));
  s.ip_id = static_cast<uint16_t>(r.U32("ipId", 0, 0xFFFF));
  s.tos = static_cast<uint8_t>(r.U32("tos", 0, 0xFF));
  r.Bytes("payload", &s.payload, &s.payload_len);
  const uint32_t cap = r.U32("capacity", kMaxFrameLen, kMaxFrameLen);
  ReadOptions(r, &s.opt);
  if (!r.ok() || env.IsExceptionPending()) return env.Undefined();
  std::vector<uint8_t> out(cap);
  const size_t n = EmitTcpFrame(s, out.data(), out.size());
  if (n == 0) return env.Null();
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), n);
}

// emitArpReply({senderMac, senderIp}, ourMac, ourIp) -> Buffer
Napi::Value EmitArpReplyJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Reader r(env, info.Length() > 0 ? info[0] : env.Undefined());
  ArpPacket req;
  req.op = 1;
  r.Mac("senderMac", req.sender_mac);
  req.sender_ip = r.U32("senderIp", 0);
  if (!r.ok()) return env.Undefined();
  uint8_t mac[6];
  uint32_t ip = 0;
  if (info.Length() < 2 || !Reader::MacOf(info[1], mac)) {
    return ThrowType(env, "ourMac: MAC");
  }
  if (!ArgU32(info, 2, 0xFFFFFFFFu, &ip)) return ThrowType(env, "ourIp: u32");
  uint8_t out[64];
  const size_t n = EmitArpReply(req, mac, ip, out, sizeof(out));
  return Napi::Buffer<uint8_t>::Copy(env, out, n);
}

// emitArpRequest(ourMac, ourIp, targetIp) -> Buffer
Napi::Value EmitArpRequestJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t mac[6];
  uint32_t ip = 0, target = 0;
  if (info.Length() < 1 || !Reader::MacOf(info[0], mac)) {
    return ThrowType(env, "ourMac: MAC");
  }
  if (!ArgU32(info, 1, 0xFFFFFFFFu, &ip) ||
      !ArgU32(info, 2, 0xFFFFFFFFu, &target)) {
    return ThrowType(env, "ourIp, targetIp: u32");
  }
  uint8_t out[64];
  const size_t n = EmitArpRequest(mac, ip, target, out, sizeof(out));
  return Napi::Buffer<uint8_t>::Copy(env, out, n);
}

Napi::Value DropNamesJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t count = static_cast<uint32_t>(Drop::kCount);
  Napi::Array a = Napi::Array::New(env, count);
  for (uint32_t i = 0; i < count; i++) {
    a.Set(i, DropName(static_cast<Drop>(i)));
  }
  return a;
}

// ---- checksums -----------------------------------------------------------------

// checksumPartial(buf, sum?) -> u32
Napi::Value ChecksumPartialJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* d = nullptr;
  size_t n = 0;
  uint32_t sum = 0;
  if (!ArgBytes(info, 0, &d, &n)) return ThrowType(env, "data: Uint8Array");
  if (info.Length() > 1 && !ArgU32(info, 1, 0xFFFFFFFFu, &sum)) {
    return ThrowType(env, "sum: u32");
  }
  return Napi::Number::New(env, ChecksumPartial(d, n, sum));
}

Napi::Value ChecksumFoldJs(const Napi::CallbackInfo& info) {
  uint32_t sum = 0;
  if (!ArgU32(info, 0, 0xFFFFFFFFu, &sum)) {
    return ThrowType(info.Env(), "sum: u32");
  }
  return Napi::Number::New(info.Env(), ChecksumFold(sum));
}

Napi::Value Ipv4HeaderChecksumJs(const Napi::CallbackInfo& info) {
  const uint8_t* d = nullptr;
  size_t n = 0;
  if (!ArgBytes(info, 0, &d, &n)) {
    return ThrowType(info.Env(), "header: Uint8Array");
  }
  return Napi::Number::New(info.Env(), Ipv4HeaderChecksum(d, n));
}

// tcpChecksum(saddr, daddr, segment) -> u16 (0 over a correct segment)
Napi::Value TcpChecksumJs(const Napi::CallbackInfo& info) {
  uint32_t s = 0, d = 0;
  const uint8_t* seg = nullptr;
  size_t n = 0;
  if (!ArgU32(info, 0, 0xFFFFFFFFu, &s) || !ArgU32(info, 1, 0xFFFFFFFFu, &d) ||
      !ArgBytes(info, 2, &seg, &n)) {
    return ThrowType(info.Env(), "tcpChecksum(saddr, daddr, segment)");
  }
  return Napi::Number::New(info.Env(), TcpChecksum(s, d, seg, n));
}

Napi::Value ChecksumUpdate16Js(const Napi::CallbackInfo& info) {
  uint32_t c = 0, o = 0, n = 0;
  if (!ArgU32(info, 0, 0xFFFF, &c) || !ArgU32(info, 1, 0xFFFF, &o) ||
      !ArgU32(info, 2, 0xFFFF, &n)) {
    return ThrowType(info.Env(), "checksumUpdate16(check, old, new): u16");
  }
  return Napi::Number::New(
      info.Env(), ChecksumUpdate16(static_cast<uint16_t>(c),
                                   static_cast<uint16_t>(o),
                                   static_cast<uint16_t>(n)));
}

Napi::Value ChecksumUpdate32Js(const Napi::CallbackInfo& info) {
  uint32_t c = 0, o = 0, n = 0;
  if (!ArgU32(info, 0, 0xFFFF, &c) || !ArgU32(info, 1, 0xFFFFFFFFu, &o) ||
      !ArgU32(info, 2, 0xFFFFFFFFu, &n)) {
    return ThrowType(info.Env(), "checksumUpdate32(check: u16, old, new: u32)");
  }
  return Napi::Number::New(
      info.Env(), ChecksumUpdate32(static_cast<uint16_t>(c), o, n));
}

// ---- cookies -----------------------------------------------------------------

Napi::Value SipHash24Js(const Napi::CallbackInfo& info) {
  const uint8_t* k = nullptr;
  const uint8_t* d = nullptr;
  size_t kn = 0, dn = 0;
  if (!ArgBytes(info, 0, &k, &kn) || kn != 16 || !ArgBytes(info, 1, &d, &dn)) {
    return ThrowType(info.Env(), "siphash24(key: 16 bytes, data: Uint8Array)");
  }
  auto copy = ExactCopy(d, dn);
  return Napi::BigInt::New(info.Env(), SipHash24(k, copy.get(), dn));
}

// Builds a jar from {secret: 16 bytes, periodMs?}.
bool ReadJar(Reader& r, CookieJar* jar) {
  const uint8_t* key = nullptr;
  size_t n = 0;
  r.Bytes("secret", &key, &n);
  const uint64_t period = r.U64("periodMs", 64000);
  if (!r.ok()) return false;
  if (n != 16) {
    ThrowType(r.Field("secret").Env(), "secret must be 16 bytes");
    return false;
  }
  CookieSecret s;
  std::memcpy(s.key, key, 16);
  jar->SetSecret(s);
  jar->SetPeriodMs(period);
  return true;
}

CookieTuple ReadTuple(Reader& r) {
  CookieTuple t;
  t.saddr = r.U32("saddr", 0);
  t.daddr = r.U32("daddr", 0);
  t.sport = static_cast<uint16_t>(r.U32("sport", 0, 0xFFFF));
  t.dport = static_cast<uint16_t>(r.U32("dport", 0, 0xFFFF));
  return t;
}

// cookieEncode({secret, periodMs, saddr, daddr, sport, dport, clientIsn,
//   clientMss, hasWscale, wscale, sackPermitted, hasTs, ecn, nowMs,
//   tsClockMs}) -> {isn, tsVal} | null (refused: 0 < clientMss < 216)
Napi::Value CookieEncodeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Reader r(env, info.Length() > 0 ? info[0] : env.Undefined());
  CookieJar jar;
  if (!ReadJar(r, &jar)) return env.Undefined();
  const CookieTuple t = ReadTuple(r);
  const uint32_t isn = r.U32("clientIsn", 0);
  const uint16_t mss = static_cast<uint16_t>(r.U32("clientMss", 0, 0xFFFF));
  CookieOptions o;
  o.has_wscale = r.Bool("hasWscale", false);
  o.wscale = static_cast<uint8_t>(r.U32("wscale", 0, 0xFF));
  o.sack_permitted = r.Bool("sackPermitted", false);
  o.has_ts = r.Bool("hasTs", false);
  o.ecn = r.Bool("ecn", false);
  const uint64_t now = r.U64("nowMs", 0);
  const uint32_t clock = r.U32("tsClockMs", 0);
  if (!r.ok()) return env.Undefined();
  const CookieOut out = jar.Encode(t, isn, mss, o, now, clock);
  if (!out.ok) return env.Null();  // refused: an MSS below the table's floor
  Napi::Object res = Napi::Object::New(env);
  res.Set("isn", out.isn);
  res.Set("tsVal", out.ts_val);
  return res;
}

// cookieValidate({secret, periodMs, saddr, daddr, sport, dport, seq, ack,
//   hasTs, tsEcr, nowMs}) -> null | {mss, hasWscale, wscale, sackPermitted,
//   hasTs, ecn}
Napi::Value CookieValidateJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Reader r(env, info.Length() > 0 ? info[0] : env.Undefined());
  CookieJar jar;
  if (!ReadJar(r, &jar)) return env.Undefined();
  const CookieTuple t = ReadTuple(r);
  const uint32_t seq = r.U32("seq", 0);
  const uint32_t ack = r.U32("ack", 0);
  const bool has_ts = r.Bool("hasTs", false);
  const uint32_t ecr = r.U32("tsEcr", 0);
  const uint64_t now = r.U64("nowMs", 0);
  if (!r.ok()) return env.Undefined();
  CookieOptions o;
  if (!jar.Validate(t, seq, ack, has_ts, ecr, now, &o)) return env.Null();
  Napi::Object res = Napi::Object::New(env);
  res.Set("mss", o.mss);
  res.Set("hasWscale", o.has_wscale);
  res.Set("wscale", o.wscale);
  res.Set("sackPermitted", o.sack_permitted);
  res.Set("hasTs", o.has_ts);
  res.Set("ecn", o.ecn);
  return res;
}

// splitmix64 (Steele, Lea, Flood): a fast, well-mixed PRNG for the trial.
// SipHash would work too but would double the cost of each try.
struct SplitMix64 {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

// cookieForgeryTrial({tries, withTs, seed}) -> {tries, accepted,
//   statedProbability, seconds}. A random secret, tuple and client ISN (from
// the seed), then `tries` uniformly random ACK numbers (and TSecr values with
// withTs) against CookieJar::Validate -- the real code path, one SipHash each.
Napi::Value CookieForgeryTrialJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Reader r(env, info.Length() > 0 ? info[0] : env.Undefined());
  const uint64_t tries = r.U64("tries", 1000000);
  const bool with_ts = r.Bool("withTs", false);
  SplitMix64 rng{r.U64("seed", 1)};
  if (!r.ok()) return env.Undefined();

  CookieJar jar;
  CookieSecret secret;
  for (int i = 0; i < 16; i += 8) {
    const uint64_t v = rng.Next();
    std::memcpy(secret.key + i, &v, 8);
  }
  jar.SetSecret(secret);
  CookieTuple t;
  t.saddr = static_cast<uint32_t>(rng.Next());
  t.daddr = static_cast<uint32_t>(rng.Next());
  t.sport = static_cast<uint16_t>(rng.Next() | 1);
  t.dport = static_cast<uint16_t>(rng.Next() | 1);
  const uint32_t seq = static_cast<uint32_t>(rng.Next());
  // Mid-way through period 1000: both parities map to a live period.
  const uint64_t now = jar.period_ms() * 1000 + jar.period_ms() / 2;

  const auto start = std::chrono::steady_clock::now();
  uint64_t accepted = 0;
  for (uint64_t i = 0; i < tries; i++) {
    const uint64_t x = rng.Next();
    accepted += jar.Validate(t, seq, static_cast<uint32_t>(x), with_ts,
                             static_cast<uint32_t>(x >> 32), now, nullptr);
  }
  const std::chrono::duration<double> took =
      std::chrono::steady_clock::now() - start;

  Napi::Object res = Napi::Object::New(env);
  res.Set("tries", static_cast<double>(tries));
  res.Set("accepted", static_cast<double>(accepted));
  res.Set("statedProbability", CookieJar::ForgeryProbability(with_ts));
  res.Set("seconds", took.count());
  return res;
}

Napi::Value ForgeryProbabilityJs(const Napi::CallbackInfo& info) {
  const bool ts = info.Length() > 0 && info[0].ToBoolean().Value();
  return Napi::Number::New(info.Env(), CookieJar::ForgeryProbability(ts));
}

Napi::Value CookieMssIndexJs(const Napi::CallbackInfo& info) {
  uint32_t mss = 0;
  if (!ArgU32(info, 0, 0xFFFF, &mss)) return ThrowType(info.Env(), "mss: u16");
  return Napi::Number::New(info.Env(),
                           CookieMssIndex(static_cast<uint16_t>(mss)));
}

Napi::Value CookieMssValueJs(const Napi::CallbackInfo& info) {
  uint32_t i = 0;
  if (!ArgU32(info, 0, kCookieMssTableSize - 1, &i)) {
    return ThrowType(info.Env(), "index: 0..7");
  }
  return Napi::Number::New(info.Env(),
                           CookieMssValue(static_cast<uint8_t>(i)));
}

// Two jars seeded from getrandom must both succeed and disagree.
Napi::Value CookieRandomSecretCheckJs(const Napi::CallbackInfo& info) {
  CookieJar a, b;
  if (!a.RandomizeSecret() || !b.RandomizeSecret()) {
    return Napi::Boolean::New(info.Env(), false);
  }
  CookieTuple t;
  t.saddr = 0xC6120002;
  t.daddr = 0xC6120001;
  t.sport = 40000;
  t.dport = 80;
  CookieOptions o;
  const uint32_t ia = a.Encode(t, 1, 1460, o, 0, 0).isn;
  const uint32_t ib = b.Encode(t, 1, 1460, o, 0, 0).isn;
  return Napi::Boolean::New(info.Env(), ia != ib);
}

// RecordHeader as the compiler laid it out, in the JS names of
// src/engine/records.ts RecordField, for the test that the two agree.
Napi::Value RecordLayoutJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object fields = Napi::Object::New(env);
  fields.Set("length", static_cast<double>(offsetof(RecordHeader, length)));
  fields.Set("type", static_cast<double>(offsetof(RecordHeader, type)));
  fields.Set("tcpFlags", static_cast<double>(offsetof(RecordHeader, tcp_flags)));
  fields.Set("connId", static_cast<double>(offsetof(RecordHeader, conn_id)));
  fields.Set("remoteAddress", static_cast<double>(offsetof(RecordHeader, raddr)));
  fields.Set("localAddress", static_cast<double>(offsetof(RecordHeader, laddr)));
  fields.Set("remotePort", static_cast<double>(offsetof(RecordHeader, rport)));
  fields.Set("localPort", static_cast<double>(offsetof(RecordHeader, lport)));
  fields.Set("seq", static_cast<double>(offsetof(RecordHeader, seq)));
  fields.Set("ack", static_cast<double>(offsetof(RecordHeader, ack)));
  fields.Set("window", static_cast<double>(offsetof(RecordHeader, window)));
  fields.Set("optBits", static_cast<double>(offsetof(RecordHeader, opt_bits)));
  fields.Set("sackCount", static_cast<double>(offsetof(RecordHeader, sack_count)));
  fields.Set("mss", static_cast<double>(offsetof(RecordHeader, mss)));
  fields.Set("wscale", static_cast<double>(offsetof(RecordHeader, wscale)));
  fields.Set("ourWscale", static_cast<double>(offsetof(RecordHeader, our_wscale)));
  fields.Set("tsVal", static_cast<double>(offsetof(RecordHeader, ts_val)));
  fields.Set("tsEcr", static_cast<double>(offsetof(RecordHeader, ts_ecr)));
  fields.Set("remoteMac", static_cast<double>(offsetof(RecordHeader, rmac)));
  fields.Set("payloadLen", static_cast<double>(offsetof(RecordHeader, payload_len)));
  fields.Set("sack", static_cast<double>(offsetof(RecordHeader, sack)));
  fields.Set("fd", static_cast<double>(offsetof(RecordHeader, fd)));
  Napi::Object r = Napi::Object::New(env);
  r.Set("headerLength", static_cast<double>(sizeof(RecordHeader)));
  r.Set("fields", fields);
  r.Set("ringWriteOff", static_cast<double>(kRingWriteOff));
  r.Set("ringReadOff", static_cast<double>(kRingReadOff));
  r.Set("ringNotifyOff", static_cast<double>(kRingNotifyOff));
  r.Set("ringDataOff", static_cast<double>(kRingDataOff));
  return r;
}

// recordRingRewrite(arrayBuffer, bogusWriteIndex) -> {first, second, write}:
// attaches a RecordRing, publishes one empty record, then does what a buggy or
// hostile JS could do (writes bogusWriteIndex into the write word) and
// publishes another. Returns both records' data offsets and the write word
// after: the producer must go on from its own index.
Napi::Value RecordRingRewriteJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t bogus = 0;
  if (info.Length() < 2 || !info[0].IsArrayBuffer() || !ArgU32(info, 1, 0xFFFFFFFFu, &bogus))
    return ThrowType(env, "recordRingRewrite(ArrayBuffer, u32)");
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  uint8_t* base = static_cast<uint8_t*>(ab.Data());
  if (base == nullptr || ab.ByteLength() < kRingDataOff + 4096) return ThrowType(env, "ring too small");
  RecordRing ring;
  ring.Attach(base, ab.ByteLength());
  size_t len = 0;
  uint8_t* a = ring.Reserve(0, &len);
  ring.Publish();
  std::memcpy(base + kRingWriteOff, &bogus, sizeof bogus);
  uint8_t* b = ring.Reserve(0, &len);
  ring.Publish();
  uint32_t w = 0;
  std::memcpy(&w, base + kRingWriteOff, sizeof w);
  Napi::Object r = Napi::Object::New(env);
  r.Set("first", a ? static_cast<double>(a - base - kRingDataOff) : -1.0);
  r.Set("second", b ? static_cast<double>(b - base - kRingDataOff) : -1.0);
  r.Set("write", static_cast<double>(w));
  return r;
}

// demuxMaxProbe(maxFlows, keys: Uint32Array of [raddr, rport << 16 | lport]
// pairs) -> {inserted, maxProbe}: the longest probe run after inserting them.
Napi::Value DemuxMaxProbeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t max_flows = 0;
  if (!ArgU32(info, 0, 1u << 20, &max_flows) || max_flows == 0 || info.Length() < 2 ||
      !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    return ThrowType(env, "demuxMaxProbe(maxFlows, Uint32Array)");
  Napi::Uint32Array keys = info[1].As<Napi::Uint32Array>();
  DemuxTable t(max_flows);
  uint32_t inserted = 0;
  for (size_t i = 0; i + 1 < keys.ElementLength(); i += 2) {
    const FlowKey k{keys[i], static_cast<uint16_t>(keys[i + 1] >> 16), static_cast<uint16_t>(keys[i + 1])};
    if (t.Insert(k) != 0) inserted++;
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("inserted", inserted);
  r.Set("maxProbe", static_cast<double>(t.MaxProbe()));
  return r;
}

}  // namespace

void RegisterTestingExports(Napi::Env env, Napi::Object exports) {
  struct Fn {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  };
  static const Fn kFns[] = {
      {"parseFrame", ParseFrameJs},
      {"parseTcpOptions", ParseTcpOptionsJs},
      {"emitTcpFrame", EmitTcpFrameJs},
      {"emitArpReply", EmitArpReplyJs},
      {"emitArpRequest", EmitArpRequestJs},
      {"dropNames", DropNamesJs},
      {"checksumPartial", ChecksumPartialJs},
      {"checksumFold", ChecksumFoldJs},
      {"ipv4HeaderChecksum", Ipv4HeaderChecksumJs},
      {"tcpChecksum", TcpChecksumJs},
      {"checksumUpdate16", ChecksumUpdate16Js},
      {"checksumUpdate32", ChecksumUpdate32Js},
      {"siphash24", SipHash24Js},
      {"cookieEncode", CookieEncodeJs},
      {"cookieValidate", CookieValidateJs},
      {"cookieForgeryTrial", CookieForgeryTrialJs},
      {"forgeryProbability", ForgeryProbabilityJs},
      {"cookieMssIndex", CookieMssIndexJs},
      {"cookieMssValue", CookieMssValueJs},
      {"cookieRandomSecretCheck", CookieRandomSecretCheckJs},
      {"recordLayout", RecordLayoutJs},
      {"recordRingRewrite", RecordRingRewriteJs},
      {"demuxMaxProbe", DemuxMaxProbeJs},
  };
  for (const Fn& f : kFns) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
}

}  // namespace synwall
