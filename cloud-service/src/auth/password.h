// Password hashing and the random secrets of the admin portal's sessions (libsodium).
//
// Hashes are libsodium's self-describing argon2id strings ("$argon2id$v=19$m=...") made
// with the INTERACTIVE limits (about 64 MiB and a few tens of milliseconds per hash), so
// verification costs the same for every account and a stolen table is slow to attack.
// Session tokens are 32 random bytes as unpadded base64url (43 characters); only their
// SHA-256 digest is stored.
//
// Thread safety: every function may be called from any thread (libsodium is initialized
// once, on first use, behind a function-local static).
#pragma once

#include <string>
#include <string_view>

#include "vend/status.h"

namespace vend::cloud::auth {

// The argon2id hash of `password`. Internal when libsodium cannot allocate the memory.
Result<std::string> HashPassword(std::string_view password);

// True when `password` matches `hash` (a HashPassword result). A malformed hash is a
// mismatch, never an error.
bool VerifyPassword(std::string_view password, const std::string& hash);

// A hash that matches no password, for verifying against when the user does not exist,
// so an unknown name costs as much time as a wrong password.
const std::string& DummyHash();

// 32 random bytes, base64url without padding (43 characters): a session token.
std::string NewSessionToken();
// 24 random bytes, base64url without padding (32 characters): a CSRF token.
std::string NewCsrfToken();

// SHA-256 of `data` (32 raw bytes).
std::string Sha256(std::string_view data);

// Compares in time independent of where the strings differ (sodium_memcmp). Strings of
// different lengths are unequal.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace vend::cloud::auth
