#pragma once
// Options shared by the subcommands, spelled as in GDAL's utilities, and the error convention:
// "geosr <command>: error: <one line>" on stderr, exit 2 for usage errors and 1 for the rest.

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "geosr/io/output_spec.hpp"
#include "geosr/io/value_range.hpp"

namespace geosr::cli {

namespace po = boost::program_options;

// A mistake in the command line (exit code 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Removes every occurrence of option `name` with its `count` values from `args` and returns the
// values. Boost cannot take options with two values (--config KEY VALUE, --tr XRES YRES).
std::vector<std::vector<std::string>> take_option(std::vector<std::string>& args, const std::string& name,
                                                  size_t count);

// A positive (or, with allow_zero, non-negative) finite number; a UsageError naming `what` and
// `given` (else `text`) otherwise.
double parse_positive(const std::string& text, const std::string& what, bool allow_zero = false,
                      const std::string& given = "");
// "512M", "8G", "1.5T", "65536" (bytes); binary multiples.
double parse_size(const std::string& text, const std::string& what, bool allow_zero = false);

// Applies and removes every --config KEY VALUE (GDAL configuration options).
void apply_config_options(std::vector<std::string>& args);

struct IoOptions {
  std::string src;
  std::string dst;
  std::vector<int> bands;                    // -b, 1-based; empty: all
  std::vector<ValueRange> in_ranges;         // --in-range
  std::string requested_format;              // -of, as typed (empty: by DST's extension)
  std::string format;                        // the GDAL driver that writes DST (output_format.hpp)
  std::vector<std::string> creation_options; // -co NAME=VALUE
  bool quiet = false;                        // -q, --quiet
  bool overwrite = false;                    // --overwrite
};

// What a command writes under DST: nothing, text (--overwrite) or a raster (-of, -co, --overwrite).
enum class Writes { Nothing, Text, Raster };

// -b, --in-range unless `value_rule` is false, what `writes` needs, -q, --config, --help.
po::options_description io_options(Writes writes, bool value_rule = true);

// Parses `args` (positional SRC [DST]) with `options`; returns false after printing help.
bool parse(const std::string& command, const std::string& synopsis, const std::vector<std::string>& args,
           const po::options_description& options, bool writes, po::variables_map& values);
// Reads the options of io_options(writes); DST's format is resolved for Writes::Raster.
IoOptions read_io_options(const po::variables_map& values, Writes writes);

// DST's format, -co and --overwrite in `spec`.
void set_output_options(OutputSpec& spec, const IoOptions& io);

// check_output_spec as a usage error (exit 2): the format or -co cannot take this output.
void check_output(const OutputSpec& spec);

// The extension of `path` in lower case (".tif" for "A.TIF"; "" for none).
std::string lowercase_extension(const std::string& path);

// A seed option: a whole number from 0 to 2^64 - 1 (Boost would wrap "-1" around).
uint64_t read_seed(const po::variables_map& values, const std::string& name = "seed");

// "1,2,3": band numbers as -b takes them.
std::string join(const std::vector<int>& values);

// Refuses to write `output` when it is `input` by any name (a usage error): geosr never writes
// over its input.
void check_not_input(const std::string& input, const std::string& output);

// Text geosr writes (results, reports, manifests, scripts, VRTs) written to `path`: staged and
// renamed into place, or straight through a link, device or pipe (/dev/stdout). A failed write is
// an error, never a silent loss or a truncated file.
void write_text_file(const std::string& path, const std::string& text);

// Refuses, before any work, a text output whose directory does not exist (the results of a long
// evaluation would be lost at the end). Existing files, links and devices (/dev/stdout) pass.
void check_text_output(const std::string& path);

// Parses `args` that are all options but for the optional positionals `positional` (stored under
// those names, in that order); returns false after printing help with `usage`.
bool parse_named(const std::string& usage, const std::vector<std::string>& args, const po::options_description& options,
                 po::variables_map& values, const std::vector<std::string>& positional = {});

// Runs `body`, turning exceptions into the one-line error and the exit code.
int guarded(const std::string& command, const std::function<int()>& body);

void warn(const std::string& command, const std::string& message);

}  // namespace geosr::cli
