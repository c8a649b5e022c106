#include "auth/password.h"

#include <sodium.h>

#include <cstdlib>

namespace vend::cloud::auth {
namespace {

void EnsureInit() {
  static const bool ready = [] {
    // libsodium cannot run at all (no entropy source): nothing here is safe.
    if (sodium_init() < 0) std::abort();
    return true;
  }();
  (void)ready;
}

std::string RandomBase64Url(size_t bytes) {
  EnsureInit();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw.data(), raw.size());
  out.resize(out.find('\0'));  // the encoded length counts the terminating NUL
  return out;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  EnsureInit();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Internal("password hashing ran out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view password, const std::string& hash) {
  EnsureInit();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

const std::string& DummyHash() {
  // Hashed once per process from a random password nobody knows.
  static const std::string hash = [] {
    auto h = HashPassword(RandomBase64Url(32));
    return h.ok() ? *h : std::string();
  }();
  return hash;
}

std::string NewSessionToken() { return RandomBase64Url(32); }

std::string NewCsrfToken() { return RandomBase64Url(24); }

std::string Sha256(std::string_view data) {
  EnsureInit();
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  EnsureInit();
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vend::cloud::auth
