// Test-only exports: a `testing` object on the addon's exports that lets the
// vitest suites drive the wire, checksum and cookie code directly. None of it
// is on the packet path; it may allocate and copy freely.
#pragma once
#include <napi.h>

namespace synwall {

void RegisterTestingExports(Napi::Env env, Napi::Object exports);

}  // namespace synwall
