// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with everything in it when
// the TempDir is destroyed.
//
// Thread safety: the object is not synchronized; the files in it are ordinary files.
#pragma once

#include <filesystem>
#include <string>

namespace vend::test_support {

class TempDir {
 public:
  // Creates "<tmp>/<prefix>XXXXXX"; aborts the process if that is impossible.
  explicit TempDir(const std::string& prefix = "vend-test-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `content` to `relative` under the directory, creating parent directories.
  // Returns the full path.
  std::filesystem::path WriteFile(const std::filesystem::path& relative,
                                  const std::string& content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace vend::test_support
