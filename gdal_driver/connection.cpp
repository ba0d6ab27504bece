#include "connection.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>
#include <string_view>
#include <type_traits>

#include <cpl_conv.h>
#include <cpl_json.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include "geosr/core/exact_number.hpp"
#include "geosr/io/gdal_errors.hpp"

namespace geosr::gdal {
namespace {

// UTF-8's byte order mark, which some editors put before a JSON file's first brace.
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
// A descriptor is a few keys; a larger file is no descriptor and is not read whole.
constexpr GIntBig kMaxDescriptorBytes = 1 << 20;

namespace fs = std::filesystem;

const char* const kPrefix = "GEOSR:";

template <typename T>
T to_value(const std::string& key, const std::string& value) {
  T number{};
  const char* end = value.data() + value.size();
  const auto parsed = std::from_chars(value.data(), end, number);
  if (value.empty() || parsed.ec != std::errc() || parsed.ptr != end) {
    throw std::invalid_argument(key + " must be " + (std::is_integral_v<T> ? "an integer" : "a number") + " (got '" +
                                value + "')");
  }
  return number;
}

std::vector<int> to_bands(const std::string& value) {
  std::vector<int> bands;
  const CPLStringList parts(CSLTokenizeString2(value.c_str(), ",", CSLT_ALLOWEMPTYTOKENS));
  for (int i = 0; i < parts.size(); ++i) {
    const std::string part = parts[i];
    const int64_t band = part.empty() ? 0 : to_integer("bands", part);
    if (band < 1 || band > std::numeric_limits<int>::max())
      throw std::invalid_argument("bands are numbers from 1, separated by commas (got '" + value + "')");
    bands.push_back(static_cast<int>(band));
  }
  if (bands.empty()) throw std::invalid_argument("bands lists none");
  return bands;
}

// A JSON value as the name's NAME=VALUE text. JSON has one number type: a whole 2.0, as Python's
// json.dumps writes a float, is the integer 2.
std::string json_text(const CPLJSONObject& value) {
  if (value.GetType() == CPLJSONObject::Type::Double) {
    const double number = value.ToDouble();
    if (std::isfinite(number) && number == std::floor(number) && std::abs(number) < 0x1p53)
      return std::to_string(static_cast<int64_t>(number));
  }
  return value.ToString();
}

void apply(Connection& c, const std::string& key, const std::string& value) {
  if (apply_setting(c.settings, key, value)) return;
  if (key == "source") c.source = value;
  else if (key == "bands") c.bands = to_bands(value);
  else if (key == "in_range") c.in_ranges = parse_ranges(value, "in_range");
  else if (key == "blocksize") c.block_size = to_integer(key, value);
  else if (key == "halo") {
    c.halo = to_integer(key, value);
    if (c.halo < 0) throw std::invalid_argument("halo must be 0 or more (got '" + value + "')");
  }
  else if (key == "cache_dir") c.cache_dir = value;
  else if (key == "cache_mb") c.cache_mb = to_number(key, value);
  else throw std::invalid_argument("unknown option '" + key + "'");
}

std::string lower(std::string text) {
  for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

// The descriptor's keys, paths made relative to it absolute.
std::map<std::string, std::string> read_descriptor(const std::string& path) {
  CPLJSONDocument document;
  // GDAL's parse error goes into the one error line the driver reports, not a second one before it.
  GdalErrorTrap trap;
  GByte* bytes = nullptr;
  vsi_l_offset size = 0;
  bool parsed = VSIIngestFile(nullptr, path.c_str(), &bytes, &size, kMaxDescriptorBytes);
  if (parsed) {
    std::string_view text(reinterpret_cast<const char*>(bytes), static_cast<size_t>(size));
    if (text.substr(0, 3) == kByteOrderMark) text.remove_prefix(3);  // CPLJSONDocument refuses one
    parsed = document.LoadMemory(std::string(text));
  }
  VSIFree(bytes);
  if (!parsed)
    throw std::invalid_argument("cannot read the descriptor " + path +
                                (trap.first_error().empty() ? "" : ": " + trap.first_error()));
  const CPLJSONObject root = document.GetRoot();
  if (root.GetType() != CPLJSONObject::Type::Object || !root.GetObj("geosr").IsValid())
    throw std::invalid_argument(path + " is not a GEOSR descriptor (no \"geosr\" key)");
  std::map<std::string, std::string> values;
  const fs::path base = fs::path(path).parent_path();
  for (const CPLJSONObject& child : root.GetChildren()) {
    const std::string key = lower(child.GetName());
    if (key == "geosr") continue;
    std::string value = json_text(child);
    if (child.GetType() == CPLJSONObject::Type::Array) {  // "bands": [1, 2, 3], "in_range": [[0, 255], [0, 200]]
      value.clear();
      for (const CPLJSONObject& item : child.ToArray()) {
        if (item.GetType() != CPLJSONObject::Type::Array) {
          value += (value.empty() ? "" : ",") + json_text(item);
          continue;
        }
        for (const CPLJSONObject& inner : item.ToArray()) value += (value.empty() ? "" : ",") + json_text(inner);
      }
    }
    // GDAL names such as GTIFF_DIR:1:/data/x.tif or NETCDF:x.nc:sst are relative to fs::path but no
    // file beside the descriptor: they go to GDAL as written.
    const bool gdal_name = value.find(':') != std::string::npos && !fs::exists(base / value);
    if ((key == "source" || key == "model" || key == "cache_dir") && !value.empty() && fs::path(value).is_relative() &&
        !gdal_name)
      value = (base / value).string();
    if (!values.emplace(key, value).second) throw std::invalid_argument("'" + key + "' is given twice in " + path);
  }
  return values;
}

}  // namespace

int64_t to_integer(const std::string& key, const std::string& value) { return to_value<int64_t>(key, value); }
double to_number(const std::string& key, const std::string& value) { return to_value<double>(key, value); }

bool apply_setting(DiffusionSettings& s, const std::string& key, const std::string& value) {
  if (key == "model") s.model = value;
  else if (key == "scale") s.scale = to_integer(key, value);
  // Beyond int's range the count is pinned where prepare_diffusion still refuses it, never wrapped.
  else if (key == "steps") s.steps = static_cast<int>(std::clamp<int64_t>(to_integer(key, value), 0, std::numeric_limits<int>::max()));
  else if (key == "seed") s.seed = to_value<uint64_t>(key, value);
  else if (key == "sampler") s.sampler = value;
  else if (key == "eta") s.eta = to_number(key, value);
  else if (key == "lr_consistency") s.lr_consistency = to_number(key, value);
  else if (key == "fusion") s.fusion = value;
  else if (key == "weights") s.weights = value;
  else if (key == "window") s.window = to_integer(key, value);
  else if (key == "stride") s.stride = to_integer(key, value);
  else if (key == "batch") s.batch = to_integer(key, value);
  else if (key == "device") s.device = value;
  else if (key == "precision") s.precision = value;
  else return false;
  return true;
}

std::string settings_key(const DiffusionSettings& s) {
  // Every bit of them: to_string's six decimals would let two settings share results.
  return s.model + "|" + std::to_string(s.scale) + "|" + std::to_string(s.steps) + "|" + s.sampler + "|" +
         exact_number(s.eta) + "|" + exact_number(s.lr_consistency) + "|" + s.fusion + "|" + s.weights + "|" +
         std::to_string(s.window) + "|" + std::to_string(s.stride) + "|" + std::to_string(s.batch) + "|" +
         std::to_string(s.seed) + "|" + s.device + "|" + s.precision;
}

DiffusionSetup prepare_for_gdal(const DiffusionSettings& settings) {
  if (!fs::is_regular_file(settings.model)) throw std::runtime_error("model not found: " + settings.model);
  DiffusionSetup setup = prepare_diffusion(settings);
  if (setup.device.is_cpu() && settings.precision != "fp32")
    CPLError(CE_Warning, CPLE_AppDefined, "GEOSR: precision=%s applies on CUDA only; the CPU computes in fp32",
             settings.precision.c_str());
  return setup;
}

bool is_descriptor(const char* header, int size) {
  // "geosr" as a key of the top-level object, not a GeoJSON feature's property or any value that
  // mentions it. A small scan, since the header may end mid-document.
  std::string_view text(header, static_cast<size_t>(size));
  if (text.substr(0, 3) == kByteOrderMark) text.remove_prefix(3);
  int depth = 0;
  for (size_t at = 0; at < text.size(); ++at) {
    const char ch = text[at];
    if (depth == 0 && ch != '{' && !std::isspace(static_cast<unsigned char>(ch))) return false;
    if (ch == '{' || ch == '[') ++depth;
    else if (ch == '}' || ch == ']') --depth;
    else if (ch == '"') {
      const size_t begin = at + 1;
      for (++at; at < text.size() && text[at] != '"'; ++at)
        if (text[at] == '\\') ++at;
      if (at >= text.size()) return false;
      const size_t next = text.find_first_not_of(" \t\r\n", at + 1);
      if (depth == 1 && text.substr(begin, at - begin) == "geosr" && next != std::string_view::npos && text[next] == ':')
        return true;
    }
  }
  return false;
}

Connection parse_connection(const std::string& name, bool descriptor, CSLConstList open_options) {
  Connection c;
  c.settings.model = CPLGetConfigOption("GEOSR_MODEL", GEOSR_DEFAULT_MODEL);
  c.settings.device = CPLGetConfigOption("GEOSR_DEVICE", "cpu");
  c.cache_dir = CPLGetConfigOption("GEOSR_CACHE_DIR", "");
  std::map<std::string, std::string> options;
  if (descriptor) {
    options = read_descriptor(name);
  } else {
    if (!STARTS_WITH_CI(name.c_str(), kPrefix)) throw std::invalid_argument("not a GEOSR: connection string");
    const std::string rest = name.substr(std::char_traits<char>::length(kPrefix));
    // Options follow the first '?' that ends the name of an existing file, so that a raster named
    // with a '?' needs no source= key; when none does, the first '?' (the open names the missing file).
    size_t query = rest.find('?');
    for (size_t at = query; at != std::string::npos; at = rest.find('?', at + 1)) {
      VSIStatBufL stat;
      if (VSIStatL(rest.substr(0, at).c_str(), &stat) == 0) {
        query = at;
        break;
      }
    }
    VSIStatBufL whole;
    if (query != std::string::npos && VSIStatL(rest.c_str(), &whole) == 0) query = std::string::npos;
    c.source = rest.substr(0, query);
    if (query != std::string::npos) {
      const CPLStringList pairs(CSLTokenizeString2(rest.c_str() + query + 1, "&", 0));
      for (int i = 0; i < pairs.size(); ++i) {
        const std::string pair = pairs[i];
        const size_t eq = pair.find('=');
        if (eq == std::string::npos) throw std::invalid_argument("'" + pair + "' is not key=value");
        const std::string key = lower(pair.substr(0, eq));
        if (!options.emplace(key, pair.substr(eq + 1)).second)
          throw std::invalid_argument("'" + key + "' is given twice");
      }
    }
  }
  std::map<std::string, std::string> from_open_options;
  for (CSLConstList option = open_options; option && *option; ++option) {
    char* key = nullptr;
    const char* value = CPLParseNameValue(*option, &key);
    const std::string name_of = key ? key : "";
    CPLFree(key);
    if (!value) throw std::invalid_argument("open option '" + std::string(*option) + "' is not NAME=VALUE");
    if (!from_open_options.emplace(lower(name_of), value).second)
      throw std::invalid_argument("open option " + name_of + " is given twice");
  }
  for (const auto& [key, value] : from_open_options) options[key] = value;
  for (const auto& [key, value] : options) apply(c, key, value);
  if (c.source.empty()) throw std::invalid_argument("no source raster named");
  if (c.block_size < 16 || c.block_size > 8192) throw std::invalid_argument("blocksize must be 16 .. 8192");
  if (c.halo < -1) throw std::invalid_argument("halo must be 0 or more");
  if (!(c.cache_mb >= 0) || !std::isfinite(c.cache_mb)) throw std::invalid_argument("cache_mb must be a finite number, 0 or more");
  return c;
}

const char* open_option_list() {
  // The defaults advertised are the ones applied: read from the settings and the connection.
  static const std::string list = [] {
    const DiffusionSettings d;
    const Connection c;
    const auto with_default = [](const std::string& text) { return "default='" + text + "'"; };
    return "<OpenOptionList>"
           "<Option name='MODEL' type='string' description='safetensors model (default: GEOSR_MODEL, then the bundled "
           "one)'/>"
           "<Option name='SCALE' type='int' description='output pixels per input pixel (default: the model&apos;s)'/>"
           "<Option name='STEPS' type='int' " + with_default(std::to_string(d.steps)) +
           " description='reverse diffusion steps'/>"
           "<Option name='SEED' type='int' " + with_default(std::to_string(d.seed)) +
           " description='noise seed (same as geosr sr --seed)'/>"
           "<Option name='SAMPLER' type='string-select' " + with_default(d.sampler) +
           "><Value>ddpm</Value><Value>ddim</Value></Option>"
           "<Option name='ETA' type='float' " + with_default(exact_number(d.eta)) + " description='DDIM eta'/>"
           "<Option name='LR_CONSISTENCY' type='float' " + with_default(exact_number(d.lr_consistency)) +
           " min='0' max='1' description='pull to the LR&apos;s low frequencies (same as geosr sr --lr-consistency)'/>"
           "<Option name='FUSION' type='string-select' " + with_default(d.fusion) +
           "><Value>sdvc</Value><Value>vcf</Value><Value>avg</Value><Value>none</Value></Option>"
           "<Option name='WEIGHTS' type='string' " + with_default(d.weights) + " description='window weights'/>"
           "<Option name='WINDOW' type='int' description='window side in output pixels (default: the model&apos;s)'/>"
           "<Option name='STRIDE' type='int' description='window stride (default: 3/4 of the window)'/>"
           "<Option name='BATCH' type='int' " + with_default(std::to_string(d.batch)) +
           " description='windows per network call'/>"
           "<Option name='DEVICE' type='string' " + with_default(d.device) + " description='cpu, cuda or cuda:N'/>"
           "<Option name='PRECISION' type='string-select' " + with_default(d.precision) +
           "><Value>fp32</Value><Value>bf16</Value><Value>fp16</Value></Option>"
           "<Option name='BANDS' type='string' description='input bands the model reads, e.g. 1,2,3'/>"
           "<Option name='IN_RANGE' type='string' description='LO,HI of the input values mapped to the model&apos;s "
           "[-1, 1], one pair or one per band (default: the data type&apos;s range; 0,1 for floating point)'/>"
           "<Option name='BLOCKSIZE' type='int' " + with_default(std::to_string(c.block_size)) +
           " description='output block side'/>"
           "<Option name='HALO' type='int' description='output pixels of context denoised around each block "
           "(default: two windows)'/>"
           "<Option name='CACHE_DIR' type='string' description='directory keeping computed blocks across runs'/>"
           "<Option name='CACHE_MB' type='float' " + with_default(exact_number(c.cache_mb)) +
           " description='memory cache of computed blocks'/>"
           "</OpenOptionList>";
  }();
  return list.c_str();
}

}  // namespace geosr::gdal
