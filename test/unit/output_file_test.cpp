// OutputFile: a long run's result is never lost to a path found unwritable
// at the end, and a failed run leaves the old file as it was.
#include "errors.h"
#include "output_file.h"

#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <unistd.h>

using namespace kw;
namespace fs = std::filesystem;

namespace {

struct TempDir {
	fs::path path;
	TempDir()
	{
		char t[] = "/tmp/kw-output-XXXXXX";
		path = mkdtemp(t);
	}
	~TempDir() { fs::remove_all(path); }
	size_t entries() const { return size_t(std::distance(fs::directory_iterator(path), {})); }
};

std::string slurp(const fs::path &p)
{
	std::ifstream f(p);
	std::stringstream s;
	s << f.rdbuf();
	return s.str();
}

} // namespace

TEST(OutputFile, UnwritablePathFailsAtOnce)
{
	TempDir d;
	EXPECT_THROW(OutputFile((d.path / "missing" / "x.yaml").string()), Error);
	try {
		OutputFile o((d.path / "missing" / "x.yaml").string());
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), Errc::io);
	}
	EXPECT_THROW(OutputFile(d.path.string()), Error); // a directory
}

TEST(OutputFile, ReplacesOnlyWhenCommitted)
{
	TempDir d;
	auto p = d.path / "policy.yaml";
	std::ofstream(p) << "old\n";
	{
		OutputFile o(p.string());
		EXPECT_EQ(slurp(p), "old\n"); // not truncated at start
		EXPECT_EQ(d.entries(), 2u);   // the temporary beside it
	}
	EXPECT_EQ(slurp(p), "old\n"); // a run that ended without a result
	EXPECT_EQ(d.entries(), 1u);   // leaves no temporary behind
	OutputFile o(p.string());
	o.commit("new\n");
	EXPECT_EQ(slurp(p), "new\n");
	EXPECT_EQ(d.entries(), 1u);
	EXPECT_THROW(o.commit("again\n"), Error);
}

TEST(OutputFile, SymlinkStaysAndDevicesAreWrittenInPlace)
{
	TempDir d;
	auto real = d.path / "real.yaml", link = d.path / "link.yaml";
	std::ofstream(real) << "old\n";
	fs::create_symlink(real, link);
	OutputFile(link.string()).commit("new\n");
	EXPECT_TRUE(fs::is_symlink(link));
	EXPECT_EQ(slurp(real), "new\n");
	OutputFile("/dev/null").commit("nothing\n");
	EXPECT_TRUE(fs::is_character_file("/dev/null"));
	EXPECT_EQ(OutputFile("-").describe(), "stdout");
}
