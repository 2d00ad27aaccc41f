// Test-only exports of synwall_testing.node (built with SYNWALL_TESTING; never
// in synwall.node): functions that let the vitest suites drive the wire,
// checksum and cookie code directly. None of it is on the packet path; it may
// allocate and copy freely.
#pragma once
#include <napi.h>

namespace synwall {

void RegisterTestingExports(Napi::Env env, Napi::Object exports);

}  // namespace synwall
