#include "options.hpp"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal_priv.h>

#include "geosr/core/inference/diffusion_setup.hpp"
#include "geosr/core/list_items.hpp"
#include "geosr/core/runtime.hpp"
#include "geosr/core/staged_file.hpp"
#include "geosr/core/whole_number.hpp"
#include "geosr/io/gdal_errors.hpp"
#include "geosr/io/output_format.hpp"
#include "geosr/io/progress.hpp"
#include "geosr/io/raster_writer.hpp"

namespace geosr::cli {

std::vector<std::vector<std::string>> take_option(std::vector<std::string>& args, const std::string& name,
                                                  size_t count) {
  std::vector<std::vector<std::string>> found;
  // "-tr" as GDAL's utilities spell it, like every other long option (Boost's long disguise).
  const std::string disguised = name.rfind("--", 0) == 0 ? name.substr(1) : name;
  for (size_t i = 0; i < args.size();) {
    if (args[i] != name && args[i] != disguised) {
      ++i;
      continue;
    }
    if (i + count >= args.size()) {
      throw UsageError(name + " needs " + std::to_string(count) + " value" + (count == 1 ? "" : "s"));
    }
    found.emplace_back(args.begin() + static_cast<long>(i) + 1, args.begin() + static_cast<long>(i + count) + 1);
    args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i + count) + 1);
  }
  return found;
}

double parse_positive(const std::string& text, const std::string& what, bool allow_zero,
                      const std::string& given) {
  const auto value = whole_number<double>(text);
  if (!value || !std::isfinite(*value) || *value < 0.0 || (*value == 0.0 && !allow_zero)) {
    throw UsageError(what + " must be a " + (allow_zero ? "non-negative" : "positive") + " number (got '" +
                     (given.empty() ? text : given) + "')");
  }
  return *value;
}

double parse_size(const std::string& text, const std::string& what, bool allow_zero) {
  std::string number = text;
  double unit = 1.0;
  if (!number.empty()) {
    const char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(number.back())));
    const std::string units = "KMGT";
    if (const auto at = units.find(suffix); at != std::string::npos) {
      unit = std::pow(1024.0, static_cast<double>(at + 1));
      number.pop_back();
    }
  }
  return parse_positive(number, what, allow_zero, text) * unit;
}

void apply_config_options(std::vector<std::string>& args) {
  for (const auto& pair : take_option(args, "--config", 2)) CPLSetConfigOption(pair[0].c_str(), pair[1].c_str());
}

po::options_description io_options(Writes writes, bool value_rule) {
  po::options_description options("Options");
  options.add_options()
      ("b", po::value<std::vector<std::string>>()->value_name("BAND"),
       "input band (1-based); repeat or give a comma list (default: all bands)");
  if (value_rule)
    options.add_options()
      ("in-range", po::value<std::vector<std::string>>()->value_name("LO,HI"),
       "input values mapped to [-1, 1]: one pair for all bands or one per band (default: by data type: "
       "Byte 0,255; UInt16 0,65535; Int16 -32768,32767; UInt32 0,4294967295; Float 0,1)");
  if (writes == Writes::Raster) {
    options.add_options()
        ("of", po::value<std::string>()->value_name("FORMAT"),
         "output format, a GDAL driver (default: COG for .tif, .tiff or no extension, else the format of DST's "
         "extension: .png PNG, .jpg JPEG, .img HFA, ...)")
        ("co", po::value<std::vector<std::string>>()->value_name("NAME=VALUE"),
         "creation option; overrides the defaults of COG and GTiff (COMPRESS=ZSTD or DEFLATE, PREDICTOR=2, "
         "BIGTIFF=IF_SAFER; COG: OVERVIEW_RESAMPLING=AVERAGE, GTiff: TILED=YES)");
  }
  if (writes != Writes::Nothing) options.add_options()("overwrite", po::bool_switch(), "replace DST if it exists");
  options.add_options()
      ("quiet,q", po::bool_switch(), "no progress")
      ("config", po::value<std::string>()->value_name("KEY VALUE"), "set a GDAL configuration option")
      ("help,h", "show this help");
  return options;
}

namespace {

// GDAL's utilities accept -long_option too, hence allow_long_disguise; they take no abbreviations,
// which would also turn -b into --batch where a command has no -b.
void store(const std::vector<std::string>& args, const po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& values) {
  try {
    const auto style = (po::command_line_style::default_style | po::command_line_style::allow_long_disguise) &
                       ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(options).positional(positional).style(style).run(), values);
    po::notify(values);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
}

// Boost writes every option as --name; GDAL-style short options (-b, -q, -co) are shown as typed.
void print_help(const std::string& usage, const po::options_description& options) {
  std::ostringstream text;
  text << options;
  std::cout << "Usage: " << usage << "\n\n"
            << std::regex_replace(text.str(), std::regex("(^|\n)( +)--([a-z]{1,2}) (\\S*)"), "$1$2-$3 $4 ");
}

}  // namespace

bool parse(const std::string& command, const std::string& synopsis, const std::vector<std::string>& args,
           const po::options_description& options, bool writes, po::variables_map& values) {
  po::options_description all;
  all.add(options);
  all.add_options()("src", po::value<std::string>())("dst", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("src", 1);
  if (writes) positional.add("dst", 1);
  store(args, all, positional, values);
  if (values.count("help")) {
    print_help("geosr " + command + " " + synopsis, options);
    return false;
  }
  if (!values.count("src") || (writes && !values.count("dst"))) {
    throw UsageError(std::string("missing ") + (values.count("src") ? "DST" : "SRC") + " (usage: geosr " + command +
                     " " + synopsis + ")");
  }
  return true;
}

bool parse_named(const std::string& usage, const std::vector<std::string>& args, const po::options_description& options,
                 po::variables_map& values, const std::vector<std::string>& positional) {
  po::options_description all;
  all.add(options);
  po::positional_options_description order;
  for (const auto& name : positional) {
    all.add_options()(name.c_str(), po::value<std::string>());
    order.add(name.c_str(), 1);
  }
  store(args, all, order, values);
  if (values.count("help")) {
    print_help(usage, options);
    return false;
  }
  return true;
}

namespace {

std::vector<int> parse_bands(const std::vector<std::string>& items) {
  std::vector<int> bands;
  for (const auto& item : items) {
    const auto tokens = list_items(item);
    if (!tokens) throw UsageError(empty_item_text("-b", item));
    for (const auto& token : *tokens) {
      const auto band = whole_number<int>(token);
      if (!band || *band < 1) throw UsageError("-b: '" + token + "' is not a band number (1, 2, ...)");
      bands.push_back(*band);
    }
  }
  if (bands.empty()) throw UsageError("-b: no band given");
  return bands;
}

}  // namespace

uint64_t read_seed(const po::variables_map& values, const std::string& name) {
  const std::string text = values[name].as<std::string>();
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 20)
    throw UsageError("--" + name + " must be a whole number, 0 or more (got '" + text + "')");
  try {
    return std::stoull(text);
  } catch (const std::out_of_range&) {
    throw UsageError("--" + name + " must be below 2^64 (got '" + text + "')");
  }
}

IoOptions read_io_options(const po::variables_map& values, Writes writes) {
  IoOptions io;
  io.src = values["src"].as<std::string>();
  if (values.count("dst")) io.dst = values["dst"].as<std::string>();
  if (values.count("b")) io.bands = parse_bands(values["b"].as<std::vector<std::string>>());
  if (values.count("in-range")) {
    for (const auto& text : values["in-range"].as<std::vector<std::string>>()) {
      try {
        for (const auto& range : parse_ranges(text)) io.in_ranges.push_back(range);
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    }
  }
  if (values.count("co")) io.creation_options = values["co"].as<std::vector<std::string>>();
  for (const auto& option : io.creation_options) {
    if (option.find('=') == std::string::npos || option.front() == '=') {
      throw UsageError("-co takes NAME=VALUE (got '" + option + "')");
    }
  }
  if (values.count("of")) io.requested_format = values["of"].as<std::string>();
  try {
    if (writes == Writes::Raster) {
      io.format = output_format(io.dst, io.requested_format);
      if (!io.creation_options.empty()) check_creation_options(io.format, io.creation_options);
    }
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  io.quiet = values["quiet"].as<bool>();
  if (values.count("overwrite")) io.overwrite = values["overwrite"].as<bool>();
  return io;
}

void set_output_options(OutputSpec& spec, const IoOptions& io) {
  spec.format = io.format;
  spec.creation_options = io.creation_options;
  spec.overwrite = io.overwrite;
}

void check_output(const OutputSpec& spec) {
  try {
    check_output_spec(spec);
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
}

std::string lowercase_extension(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

std::string join(const std::vector<int>& values) {
  std::string text;
  for (int v : values) text += (text.empty() ? "" : ",") + std::to_string(v);
  return text;
}

void check_not_input(const std::string& input, const std::string& output) {
  std::error_code ec;
  if (std::filesystem::equivalent(input, output, ec))
    throw UsageError((output == input ? output + " is the input file" : output + " is the input " + input) +
                     "; geosr never writes over its input");
  // A VRT, a raster with sidecars or a vector dataset reads other files too: the output must be
  // none of them (a VRT's source written over would lose the data and repoint the VRT).
  if (!std::filesystem::exists(output, ec)) return;
  register_gdal();
  const GdalErrorTrap quiet;
  const std::unique_ptr<GDALDataset> dataset(
      GDALDataset::Open(input.c_str(), GDAL_OF_RASTER | GDAL_OF_VECTOR | GDAL_OF_READONLY));
  if (!dataset) return;
  const CPLStringList files(dataset->GetFileList());
  for (int i = 0; i < files.size(); ++i) {
    if (std::filesystem::equivalent(files[i], output, ec))
      throw UsageError(output + " is read by the input " + input + "; geosr never writes over its input");
  }
}

void check_text_output(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
    throw std::runtime_error("cannot write " + path + ": directory " + dir.string() + " does not exist");
}

void write_text_file(const std::string& path, const std::string& text) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw std::runtime_error(path + " is a directory");
  // Links (/dev/stdout), devices and pipes are written through, as a shell redirection would.
  const auto status = std::filesystem::symlink_status(path, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    std::ofstream out(path);
    out << text;
    out.close();  // on NFS or Lustre a full quota may first show when the file is closed
    if (!out) throw std::runtime_error("cannot write " + path);
    return;
  }
  StagedFile staged(path);
  staged.stream() << text;
  staged.commit();
}

namespace {

// LibTorch says how many bytes it could not get (CPU) or that CUDA ran out; which options decide
// the memory of a network call depends on the command.
std::string failure_text(const std::string& command, const std::exception& error) {
  const std::string text = error_text(error);
  if (text.find("can't allocate memory") == std::string::npos && text.find("out of memory") == std::string::npos)
    return text;
  const std::string lower = command == "sr"          ? "--batch or --window (the network), --max-ram (the canvas)"
                            : command == "seg predict" ? "--batch or --window"
                            : command == "train" || command == "seg train" ? "--batch or --patch"
                                                                            : "";
  return "out of memory" + (lower.empty() ? "" : "; lower " + lower) + " (" + text + ")";
}

}  // namespace

int guarded(const std::string& command, const std::function<int()>& body) {
  const auto fail = [&](const std::string& reason, int code) {
    end_progress_line();
    std::cerr << (command.empty() ? "geosr" : "geosr " + command) << ": error: " << reason << "\n";
    return code;
  };
  try {
    return body();
  } catch (const UsageError& e) {
    return fail(e.what(), 2);
  } catch (const SettingsError& e) {  // settings checked against a model or a scene deep in a job
    return fail(e.what(), 2);
  } catch (const std::exception& e) {
    return fail(failure_text(command, e), 1);
  } catch (...) {
    return fail("unexpected failure", 1);
  }
}

void warn(const std::string& command, const std::string& message) {
  end_progress_line();
  std::cerr << "geosr " << command << ": warning: " << message << "\n";
}

}  // namespace geosr::cli
