// A TCP port on 127.0.0.1 that was free a moment ago.
//
// The port is found by binding a socket to port 0 and closing it again, so another
// process may take it before the caller binds it: callers retry on "address in use".
#pragma once

namespace vend::test_support {

// A port number in 1..65535; aborts the process if no socket can be bound at all (the
// test machine is then unusable for any network test).
int FreeLoopbackPort();

}  // namespace vend::test_support
