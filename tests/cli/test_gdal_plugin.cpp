// The GDAL plugin through GDAL's own programs and Python bindings, with the plugin loaded from
// GDAL_DRIVER_PATH as a user would: the GEOSR driver describes the HR grid, gives `geosr sr`'s
// pixels, computes each block once for all bands, keeps blocks on disk, agrees across block edges
// with a halo; `geosr vrt` + the geosr_sr pixel function; bad names are GDAL errors, not crashes.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gdal_priv.h>

#include "gdal_fixtures.hpp"
#include "test_support.hpp"

namespace {

namespace t = geosr::test;
namespace fs = std::filesystem;

const std::string kLr = (t::samples() / "naip_riverside_2018_0_lr5.tif").string();

// GDAL's programs with the plugin on their path; passive OpenMP threads share the 2 CI cores.
// `shell` comes first (limits, traps).
t::CommandResult gdal(const std::string& command, const std::string& shell = "") {
  return t::run_command(shell + "env GDAL_DRIVER_PATH='" GEOSR_PLUGIN_DIR "' OMP_WAIT_POLICY=PASSIVE " + command);
}
t::CommandResult geosr(const std::string& args) { return t::run_command(std::string(GEOSR_BINARY) + " " + args); }

std::string connection(const std::string& options, const std::string& lr = kLr) { return "'GEOSR:" + lr + "?" + options + "'"; }

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

struct Pixels {
  int width = 0, height = 0, bands = 0;
  std::vector<double> values;
  double transform[6] = {};
};

Pixels read(const fs::path& path) {
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
  Pixels p;
  if (!ds) return p;
  p.width = ds->GetRasterXSize();
  p.height = ds->GetRasterYSize();
  p.bands = ds->GetRasterCount();
  p.values.resize(static_cast<size_t>(p.width) * p.height * p.bands);
  if (ds->RasterIO(GF_Read, 0, 0, p.width, p.height, p.values.data(), p.width, p.height, GDT_Float64, p.bands,
                   nullptr, 0, 0, 0, nullptr) != CE_None)
    p.values.clear();
  ds->GetGeoTransform(p.transform);
  return p;
}

double psnr(const Pixels& a, const Pixels& b) {
  if (a.values.size() != b.values.size() || a.values.empty()) return -1.0;
  double sum = 0;
  for (size_t i = 0; i < a.values.size(); ++i) sum += (a.values[i] - b.values[i]) * (a.values[i] - b.values[i]);
  return sum == 0 ? INFINITY : 10.0 * std::log10(255.0 * 255.0 / (sum / static_cast<double>(a.values.size())));
}

// psnr and seam from `geosr eval --json` against `reference`, seam lines every `grid` pixels.
std::pair<double, double> psnr_and_seam(const fs::path& reference, const fs::path& candidate, int grid, double* own) {
  const fs::path json = candidate.string() + ".json";
  const auto run = geosr("eval -q --reference " + t::quote(reference) + " --candidate " + t::quote(candidate) +
                         " --grid " + std::to_string(grid) + "," + std::to_string(grid) + " --metrics psnr,seam --json " +
                         t::quote(json));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  std::ifstream in(json);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto number = [&](const std::string& key) {
    std::smatch m;
    return std::regex_search(text, m, std::regex("\"" + key + "\":([-0-9.eE+]+)")) ? std::stod(m[1]) : NAN;
  };
  *own = number("reference_seam");
  return {number("psnr"), number("seam")};
}

TEST(GdalPlugin, GdalinfoListsTheDriverAndDescribesTheHrGrid) {
  const auto formats = gdal("gdalinfo --formats");
  EXPECT_NE(formats.output.find("GEOSR -raster-"), std::string::npos) << formats.output;

  const auto info = gdal("gdalinfo " + connection("steps=3"));
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_NE(info.output.find("Size is 255, 255"), std::string::npos) << info.output;  // 51 x 51 at 5x
  EXPECT_NE(info.output.find("Pixel Size = (0.6023529411764"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("Origin = (455823.0000000040"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("NAD83 / UTM zone 11N"), std::string::npos);
  EXPECT_NE(info.output.find("Band 1 Block=512x512 Type=Byte, ColorInterp=Red"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("GEOSR_STEPS=3"), std::string::npos);
  EXPECT_NE(info.output.find("GEOSR_GRID=128,96"), std::string::npos);

  // The same raster named by a JSON descriptor (paths relative to it), and defaults from --config.
  const fs::path described = t::scratch("plugin_descriptor");
  fs::copy_file(kLr, described / "lr.tif");
  std::ofstream(described / "scene.geosr.json") << R"({"geosr": 1, "source": "lr.tif", "steps": 3, "seed": 9})";
  const auto by_file = gdal("gdalinfo " + t::quote(described / "scene.geosr.json"));
  ASSERT_EQ(by_file.exit_code, 0) << by_file.output;
  EXPECT_NE(by_file.output.find("Driver: GEOSR"), std::string::npos);
  EXPECT_NE(by_file.output.find("Size is 255, 255"), std::string::npos);
  EXPECT_NE(by_file.output.find("GEOSR_SEED=9"), std::string::npos);
  // GEOSR: before a descriptor would enlarge its output a second time.
  const auto twice = gdal("gdalinfo " + connection("steps=3", (described / "scene.geosr.json").string()));
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.output.find("ERROR 4: GEOSR: the source " + (described / "scene.geosr.json").string() +
                              " is super-resolved by GEOSR already (open a descriptor without GEOSR:)"),
            std::string::npos)
      << twice.output;
  // Lists as JSON arrays; a raster whose name holds '?'; a precision the CPU ignores is said so.
  std::ofstream(described / "bgr.geosr.json") << R"({"geosr": 1, "source": "lr.tif", "steps": 3, "bands": [3, 2, 1]})";
  const auto bgr = gdal("gdalinfo " + t::quote(described / "bgr.geosr.json"));
  ASSERT_EQ(bgr.exit_code, 0) << bgr.output;
  EXPECT_NE(bgr.output.find("Band 1 Block=512x512 Type=Byte, ColorInterp=Blue"), std::string::npos) << bgr.output;
  fs::copy_file(kLr, described / "lr?v2.tif");
  const auto question = gdal("gdalinfo " + connection("steps=3&precision=bf16", (described / "lr?v2.tif").string()));
  ASSERT_EQ(question.exit_code, 0) << question.output;
  EXPECT_NE(question.output.find("Size is 255, 255"), std::string::npos) << question.output;
  EXPECT_NE(question.output.find("precision=bf16 applies on CUDA only"), std::string::npos) << question.output;
  // JSON that mentions geosr only in a value is some other file, not a descriptor.
  std::ofstream(described / "other.json") << R"({"made_by": "geosr", "version": 2})";
  const auto other = gdal("gdalinfo " + t::quote(described / "other.json"));
  EXPECT_NE(other.exit_code, 0);
  EXPECT_EQ(other.output.find("GEOSR"), std::string::npos) << other.output;
  // Nor is a GeoJSON whose features have a "geosr" property: GDAL's own drivers get it.
  std::ofstream(described / "trees.geojson")
      << R"({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"geosr": 1}, )"
      << R"("geometry": {"type": "Point", "coordinates": [0, 0]}}]})";
  const auto geojson = gdal("gdalinfo " + t::quote(described / "trees.geojson"));
  EXPECT_NE(geojson.exit_code, 0);
  EXPECT_EQ(geojson.output.find("GEOSR"), std::string::npos) << geojson.output;
  std::ofstream(described / "twice.geosr.json") << R"({"geosr": 1, "source": "lr.tif", "steps": 3, "STEPS": 4})";
  const auto twice_key = gdal("gdalinfo " + t::quote(described / "twice.geosr.json"));
  EXPECT_NE(twice_key.exit_code, 0);
  EXPECT_NE(twice_key.output.find("'steps' is given twice in"), std::string::npos) << twice_key.output;
  const auto config = gdal("gdalinfo --config GEOSR_MODEL /nonexistent.safetensors " + connection("steps=3"));
  EXPECT_NE(config.output.find("GEOSR: model not found: /nonexistent.safetensors"), std::string::npos) << config.output;

  // A 256 x 256 input is 1280 x 1280 out: overviews at 2x and 4x, read from the LR without diffusion.
  const fs::path dir = t::scratch("plugin_info");
  const std::string big = (t::samples() / "naip_riverside_2018_1.tif").string();
  const auto ovr = gdal("gdalinfo " + connection("blocksize=256", big));
  EXPECT_NE(ovr.output.find("Overviews: 640x640, 320x320"), std::string::npos) << ovr.output;
  EXPECT_NE(ovr.output.find("Block=256x256"), std::string::npos);
  const auto level = gdal("CPL_DEBUG=GEOSR gdal_translate -q -ovr 1 " + connection("", big) + " " +
                          t::quote(dir / "ovr.tif"));
  ASSERT_EQ(level.exit_code, 0) << level.output;
  EXPECT_EQ(count(level.output, "denoising block"), 0) << "an overview read ran the network";
  const Pixels overview = read(dir / "ovr.tif"), lr = read(big);
  ASSERT_EQ(overview.width, 320);
  double mean_ovr = 0, mean_lr = 0;
  for (int i = 0; i < 320 * 320; ++i) mean_ovr += overview.values[static_cast<size_t>(i)] / (320.0 * 320.0);
  for (int i = 0; i < 256 * 256; ++i) mean_lr += lr.values[static_cast<size_t>(i)] / (256.0 * 256.0);
  EXPECT_NEAR(mean_ovr, mean_lr, 1.0) << "the overview is the LR's red band resampled";

  // An odd HR side (103 x 61 in, 515 x 305 out): GDAL places the 258 x 153 overview by the ratio of
  // the sizes, not by 2, and reads it as GDAL's own cubic resize of the LR, to the last pixel.
  const auto odd = dir / "odd.tif";
  ASSERT_EQ(gdal("gdal_translate -q -srcwin 0 0 103 61 -b 1 -b 2 -b 3 " + t::quote(big) + " " + t::quote(odd)).exit_code, 0);
  ASSERT_EQ(gdal("gdal_translate -q -outsize 258 153 " + connection("", odd.string()) + " " + t::quote(dir / "odd_ovr.tif"))
                .exit_code, 0);
  ASSERT_EQ(gdal("gdal_translate -q -r cubic -outsize 258 153 " + t::quote(odd) + " " + t::quote(dir / "odd_cubic.tif"))
                .exit_code, 0);
  EXPECT_EQ(psnr(read(dir / "odd_ovr.tif"), read(dir / "odd_cubic.tif")), INFINITY);
}

TEST(GdalPlugin, TranslateThroughTheDriverGivesGeosrSrPixels) {
  const fs::path dir = t::scratch("plugin_translate");
  ASSERT_EQ(geosr("sr -q --steps 2 " + t::quote(kLr) + " " + t::quote(dir / "sr.tif")).exit_code, 0);
  // Four 128-px blocks; the default halo (two windows) reaches every window of this small scene.
  const auto translate = gdal("CPL_DEBUG=GEOSR gdal_translate -of COG " + connection("steps=2&blocksize=128") + " " +
                              t::quote(dir / "driver.tif"));
  ASSERT_EQ(translate.exit_code, 0) << translate.output;
  EXPECT_EQ(count(translate.output, "denoising block"), 4) << "R, G and B of a block must share one network run";
  EXPECT_NE(translate.output.find("100 - done"), std::string::npos) << "GDAL progress";
  const Pixels sr = read(dir / "sr.tif"), driver = read(dir / "driver.tif");
  ASSERT_EQ(driver.width, 255);
  ASSERT_EQ(driver.bands, 3);
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(driver.transform[i], sr.transform[i]);
  // Equal up to float rounding in the block-wise condition (a few pixels one grey level apart).
  EXPECT_GE(psnr(driver, sr), 60.0);

  // GDAL's Python bindings read a window of the same raster: the same pixels.
  const auto python = gdal(std::string(GEOSR_PYTHON) + " -c \"from osgeo import gdal; import numpy as np; "
                           "gdal.UseExceptions(); sr = gdal.Open('GEOSR:" + kLr + "?steps=2&blocksize=128'); "
                           "cog = gdal.Open('" + (dir / "driver.tif").string() + "'); "
                           "a = sr.GetRasterBand(2).ReadAsArray(100, 40, 64, 32); "
                           "b = cog.GetRasterBand(2).ReadAsArray(100, 40, 64, 32); "
                           "print('shape', a.shape, 'diff', int(np.abs(a.astype(int) - b).max()))\"");
  EXPECT_NE(python.output.find("shape (32, 64) diff 0"), std::string::npos) << python.output;
}

TEST(GdalPlugin, DiskCacheKeepsBlocksAcrossRuns) {
  const fs::path dir = t::scratch("plugin_cache");
  const std::string name = connection("steps=2&cache_dir=" + (dir / "cache").string());
  const auto first = gdal("CPL_DEBUG=GEOSR gdal_translate -q " + name + " " + t::quote(dir / "a.tif"));
  const auto second = gdal("CPL_DEBUG=GEOSR gdal_translate -q " + name + " " + t::quote(dir / "b.tif"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(count(first.output, "denoising block"), 1);
  EXPECT_EQ(count(second.output, "denoising block"), 0) << "the second run must come from the disk cache";
  EXPECT_EQ(psnr(read(dir / "a.tif"), read(dir / "b.tif")), INFINITY);
  // A damaged cache file (NaN where the sampler writes [-1, 1], after the 8-byte digest of the LR
  // it was computed from) is computed again, not served.
  for (const auto& entry : fs::recursive_directory_iterator(dir / "cache")) {
    if (entry.path().extension() != ".f32") continue;
    std::ofstream damage(entry.path(), std::ios::binary | std::ios::in | std::ios::out);
    damage.seekp(8);
    const float nan = NAN;
    for (int i = 0; i < 64; ++i) damage.write(reinterpret_cast<const char*>(&nan), sizeof nan);
  }
  const auto third = gdal("CPL_DEBUG=GEOSR gdal_translate -q " + name + " " + t::quote(dir / "c.tif"));
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_EQ(count(third.output, "denoising block"), 1);
  EXPECT_EQ(psnr(read(dir / "a.tif"), read(dir / "c.tif")), INFINITY);

  // A cache that cannot keep the 780 KB block (a file-size limit of 50 KB here, a full disk alike)
  // costs the read one warning, and leaves no truncated block to be taken for a whole one.
  const auto limited = gdal("gdalinfo -checksum " + connection("steps=2&cache_dir=" + (dir / "full").string()),
                            "trap '' XFSZ; ulimit -f 100; ");
  ASSERT_EQ(limited.exit_code, 0) << limited.output;
  EXPECT_EQ(count(limited.output, "Warning 3: GEOSR: cannot store computed blocks in cache_dir"), 1) << limited.output;
  const auto checksums = [](const std::string& text) {
    std::vector<std::string> found;
    const std::regex checksum("Checksum=[0-9]+");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), checksum); it != std::sregex_iterator(); ++it)
      found.push_back(it->str());
    return found;
  };
  const auto whole = gdal("gdalinfo -checksum " + t::quote(dir / "a.tif"));
  EXPECT_EQ(checksums(limited.output), checksums(whole.output)) << limited.output << whole.output;
  EXPECT_EQ(checksums(whole.output).size(), 3u) << whole.output;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "full"))
    EXPECT_FALSE(entry.is_regular_file()) << entry.path() << " left in the cache";
}

TEST(GdalPlugin, DiskCacheFollowsThePixelsBehindTheName) {
  // A VRT keeps its name, size and date while the raster it points to is rewritten: the cached
  // blocks must follow the pixels, not the name.
  const fs::path dir = t::scratch("plugin_cache_source");
  ASSERT_EQ(gdal("gdal_translate -q -srcwin 0 0 12 12 " + t::quote(kLr) + " " + t::quote(dir / "src.tif")).exit_code, 0);
  ASSERT_EQ(gdal("gdal_translate -q -of VRT " + t::quote(dir / "src.tif") + " " + t::quote(dir / "wrap.vrt")).exit_code, 0);
  const std::string cached = connection("steps=2&cache_dir=" + (dir / "cache").string(), (dir / "wrap.vrt").string());
  ASSERT_EQ(gdal("gdal_translate -q " + cached + " " + t::quote(dir / "before.tif")).exit_code, 0);
  ASSERT_EQ(gdal("gdal_translate -q -b 3 -b 2 -b 1 -b 4 -srcwin 0 0 12 12 " + t::quote(kLr) + " " + t::quote(dir / "src.tif"))
                .exit_code, 0);
  const auto after = gdal("CPL_DEBUG=GEOSR gdal_translate -q " + cached + " " + t::quote(dir / "after.tif"));
  ASSERT_EQ(after.exit_code, 0) << after.output;
  EXPECT_EQ(count(after.output, "denoising block"), 1) << "a block of the old pixels was served";
  ASSERT_EQ(gdal("gdal_translate -q " + connection("steps=2", (dir / "wrap.vrt").string()) + " " + t::quote(dir / "fresh.tif"))
                .exit_code, 0);
  EXPECT_EQ(psnr(read(dir / "after.tif"), read(dir / "fresh.tif")), INFINITY);
  EXPECT_LT(psnr(read(dir / "after.tif"), read(dir / "before.tif")), 30.0);
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "cache")) files += entry.is_regular_file();
  EXPECT_EQ(files, 1) << "the block is replaced, not kept beside the stale one";
}

TEST(GdalPlugin, InRangeMapsValuesAsGeosrSrDoes) {
  // Counts 0..1000 in a UInt16 band fill under 1.5 % of its type's range: a flat scene to the model.
  const fs::path dir = t::scratch("plugin_in_range");
  const auto lr = dir / "lr_u16.tif";
  // Stored with a scale and offset (physical = count * 0.001 - 0.1), which the HR values share.
  ASSERT_EQ(gdal("gdal_translate -q -ot UInt16 -scale 0 255 0 1000 -a_scale 0.001 -a_offset -0.1 -mo AREA_OR_POINT=Point " +
                 t::quote(kLr) + " " + t::quote(lr)).exit_code, 0);
  const auto flat = gdal("gdalinfo " + connection("steps=2", lr.string()));
  ASSERT_EQ(flat.exit_code, 0) << flat.output;
  EXPECT_TRUE(std::regex_search(flat.output, std::regex("Warning 1: GEOSR: the values \\([0-9]+\\.\\.[0-9]+, sampled\\) fill "
                                                          "only 0\\.[0-9] % of the value range 0\\.\\.65535: the model "
                                                          "sees a flat scene; give in_range=LO,HI")))
      << flat.output;
  const auto ranged = gdal("gdal_translate -q " + connection("steps=2&in_range=0,1000", lr.string()) + " " +
                           t::quote(dir / "driver.tif"));
  ASSERT_EQ(ranged.exit_code, 0) << ranged.output;
  EXPECT_EQ(ranged.output.find("Warning"), std::string::npos) << ranged.output;
  ASSERT_EQ(geosr("sr -q --steps 2 --in-range 0,1000 " + t::quote(lr) + " " + t::quote(dir / "sr.tif")).exit_code, 0);
  // As the Byte comparison above: float rounding in the block-wise condition, on a 4x finer scale.
  EXPECT_GE(psnr(read(dir / "driver.tif"), read(dir / "sr.tif")), 60.0);
  const auto info = gdal("gdalinfo " + t::quote(dir / "driver.tif"));
  EXPECT_NE(info.output.find("GEOSR_IN_RANGE=0,1000;0,1000;0,1000"), std::string::npos) << info.output;
  ASSERT_EQ(geosr("vrt -q --steps 2 --in-range 0,1000 " + t::quote(lr) + " " + t::quote(dir / "sr.vrt")).exit_code, 0);
  for (const std::string& name : {connection("steps=2&in_range=0,1000", lr.string()), t::quote(dir / "sr.vrt")}) {
    const auto described = gdal("gdalinfo " + name);
    EXPECT_EQ(count(described.output, "Offset: -0.1,   Scale:0.001"), 3) << described.output;
    EXPECT_NE(described.output.find("AREA_OR_POINT=Point"), std::string::npos) << described.output;
  }
}

TEST(GdalPlugin, VrtResultsAreKeptPerValueRule) {
  // Two bands sets over the same LR pixels with different value rules, read in one process (one
  // QGIS session): each is denoised with its own rule, as if read alone.
  const fs::path dir = t::scratch("plugin_vrt_rules");
  ASSERT_EQ(geosr("vrt -q --steps 2 " + t::quote(kLr) + " " + t::quote(dir / "sr.vrt")).exit_code, 0);
  const std::string plain = t::file_bytes(dir / "sr.vrt");
  const std::string doubled = std::regex_replace(plain, std::regex("in_range=\"[^\"]*\""), "in_range=\"0,510\"");
  ASSERT_NE(doubled, plain);
  std::ofstream(dir / "doubled.vrt") << doubled;
  std::string extra;
  const std::regex band("<VRTRasterBand[\\s\\S]*?</VRTRasterBand>");
  int n = 0;
  for (auto it = std::sregex_iterator(doubled.begin(), doubled.end(), band); it != std::sregex_iterator(); ++it, ++n)
    extra += std::regex_replace(it->str(), std::regex("band=\"" + std::to_string(n + 1) + "\" subClass"),
                                "band=\"" + std::to_string(n + 4) + "\" subClass") + "\n";
  ASSERT_EQ(n, 3);
  std::ofstream(dir / "both.vrt") << std::regex_replace(plain, std::regex("</VRTDataset>"), extra + "</VRTDataset>");
  const auto both = gdal("CPL_DEBUG=GEOSR gdal_translate -q " + t::quote(dir / "both.vrt") + " " + t::quote(dir / "both.tif"));
  ASSERT_EQ(both.exit_code, 0) << both.output;
  EXPECT_EQ(count(both.output, "geosr_sr: denoising"), 2) << both.output;
  ASSERT_EQ(gdal("gdal_translate -q -b 4 -b 5 -b 6 " + t::quote(dir / "both.tif") + " " + t::quote(dir / "upper.tif")).exit_code, 0);
  ASSERT_EQ(gdal("gdal_translate -q " + t::quote(dir / "doubled.vrt") + " " + t::quote(dir / "doubled.tif")).exit_code, 0);
  EXPECT_EQ(psnr(read(dir / "upper.tif"), read(dir / "doubled.tif")), INFINITY);
}

TEST(GdalPlugin, AHaloOfOneWindowHidesTheBlockEdges) {
  // 64-px windows make the 255-px scene 5 x 5 windows, so 128-px blocks see only part of it. The
  // LR consistency, which holds every block to the LR and so hides much of the edges by itself
  // (1.36 -> 0.97), is off: the halo is under test.
  const fs::path dir = t::scratch("plugin_halo");
  ASSERT_EQ(geosr("sr -q --steps 4 --window 64 --lr-consistency 0 " + t::quote(kLr) + " " + t::quote(dir / "sr.tif")).exit_code,
            0);
  for (int halo : {0, 64}) {
    const auto run = gdal("gdal_translate -q " +
                          connection("steps=4&window=64&lr_consistency=0&blocksize=128&halo=" + std::to_string(halo)) +
                          " " + t::quote(dir / ("halo" + std::to_string(halo) + ".tif")));
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }
  double own = 0;
  const auto [psnr0, seam0] = psnr_and_seam(dir / "sr.tif", dir / "halo0.tif", 128, &own);
  const auto [psnr64, seam64] = psnr_and_seam(dir / "sr.tif", dir / "halo64.tif", 128, &own);
  // Without a halo the block edges show (measured 1.36 against the joint run's 0.85 on those lines);
  // with one window they are gone (0.853) and the pixels are within ~57 dB of the joint run.
  EXPECT_GT(seam0, own + 0.2) << "no halo: " << seam0 << ", joint run " << own;
  EXPECT_NEAR(seam64, own, 0.05);
  EXPECT_GE(psnr64, 45.0);
  EXPECT_GT(psnr64, psnr0 + 10.0);
}

TEST(GdalPlugin, VrtPixelFunctionSuperResolvesThroughGdalTranslate) {
  const fs::path dir = t::scratch("plugin_vrt");
  const auto made = geosr("vrt --steps 4 " + t::quote(kLr) + " " + t::quote(dir / "sr.vrt"));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto translate = gdal("CPL_DEBUG=GEOSR gdal_translate -of COG " + t::quote(dir / "sr.vrt") + " " +
                              t::quote(dir / "vrt.tif"));
  ASSERT_EQ(translate.exit_code, 0) << translate.output;
  EXPECT_EQ(count(translate.output, "geosr_sr: denoising"), 1) << "three bands, one network run";
  for (uint64_t seed : {0, 1}) {
    ASSERT_EQ(geosr("sr -q --steps 4 --seed " + std::to_string(seed) + " " + t::quote(kLr) + " " +
                    t::quote(dir / ("sr" + std::to_string(seed) + ".tif"))).exit_code, 0);
  }
  const Pixels vrt = read(dir / "vrt.tif"), same = read(dir / "sr0.tif"), other = read(dir / "sr1.tif");
  ASSERT_EQ(vrt.width, 255);
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(vrt.transform[i], same.transform[i]);
  // Same seed and grid as `geosr sr`; only GDAL's cubic (a = -0.5) differs from the model's
  // OpenCV cubic (a = -0.75), so it is far closer to the same-seed run than another seed is.
  EXPECT_GT(psnr(vrt, same), psnr(other, same) + 6.0) << psnr(vrt, same) << " vs " << psnr(other, same);
}

TEST(GdalPlugin, VrtMapsEachBandWithItsOwnRange) {
  // Band 2 stored at twice the values with a range twice as wide: the model sees the same scene, so
  // the VRT gives the same pixels with band 2 doubled, to the bit (Float32 sources: GDAL's cubic of
  // doubled values is the doubled cubic). Each band's range applied to all three sources (as it
  // was) conditioned the model on a different scene per band.
  const fs::path dir = t::scratch("plugin_vrt_band_ranges");
  ASSERT_EQ(gdal("gdal_translate -q -ot Float32 " + t::quote(kLr) + " " + t::quote(dir / "plain.tif")).exit_code, 0);
  ASSERT_EQ(gdal("gdal_translate -q -ot Float32 -scale_2 0 255 0 510 " + t::quote(kLr) + " " + t::quote(dir / "wide.tif"))
                .exit_code, 0);
  ASSERT_EQ(geosr("vrt -q --steps 2 --in-range 0,255 " + t::quote(dir / "plain.tif") + " " + t::quote(dir / "plain.vrt"))
                .exit_code, 0);
  ASSERT_EQ(geosr("vrt -q --steps 2 --in-range 0,255,0,510,0,255 " + t::quote(dir / "wide.tif") + " " +
                  t::quote(dir / "wide.vrt")).exit_code, 0);
  const auto run = gdal("CPL_DEBUG=GEOSR gdal_translate -q -of COG " + t::quote(dir / "wide.vrt") + " " +
                        t::quote(dir / "wide_sr.tif"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(count(run.output, "geosr_sr: denoising"), 1) << "the bands share one request: " << run.output;
  ASSERT_EQ(gdal("gdal_translate -q -of COG " + t::quote(dir / "plain.vrt") + " " + t::quote(dir / "plain_sr.tif")).exit_code, 0);
  Pixels wide = read(dir / "wide_sr.tif");
  const Pixels plain = read(dir / "plain_sr.tif");
  ASSERT_EQ(wide.values.size(), plain.values.size());
  ASSERT_FALSE(wide.values.empty());
  const size_t plane = static_cast<size_t>(wide.width) * wide.height;
  for (size_t i = plane; i < 2 * plane; ++i) wide.values[i] /= 2.0;
  EXPECT_EQ(psnr(wide, plain), INFINITY);
}

TEST(GdalPlugin, SourcesAreNamedAsGdalOpensThem) {
  const fs::path dir = t::scratch("plugin_names");
  // A lat/lon CRS keeps GDAL's east-north data axes in the VRT (it had put the scene off Somalia).
  const auto s2 = dir / "s2.tif";
  ASSERT_EQ(gdal("gdal_translate -q -srcwin 0 0 40 40 -ot Byte -scale " +
                 t::quote(t::shared_data() / "odd" / "s2like_float64_epsg4326.tif") + " " + t::quote(s2)).exit_code, 0);
  ASSERT_EQ(geosr("vrt -q --steps 2 " + t::quote(s2) + " " + t::quote(dir / "s2.vrt")).exit_code, 0);
  const std::regex corner("Upper Left +\\( *([-0-9.]+), *([-0-9.]+)\\)");
  std::smatch source_corner, vrt_corner;
  const std::string source_info = gdal("gdalinfo " + t::quote(s2)).output, vrt_info = gdal("gdalinfo " + t::quote(dir / "s2.vrt")).output;
  ASSERT_TRUE(std::regex_search(source_info, source_corner, corner)) << source_info;
  ASSERT_TRUE(std::regex_search(vrt_info, vrt_corner, corner)) << vrt_info;
  EXPECT_EQ(vrt_corner[1], source_corner[1]);
  EXPECT_EQ(vrt_corner[2], source_corner[2]);
  EXPECT_NE(vrt_info.find("Data axis to CRS axis mapping: 2,1"), std::string::npos) << vrt_info;

  // GDAL names that are no file: a GeoTIFF directory, a file inside a tar archive named relative to
  // where geosr vrt ran. The VRTs open from elsewhere.
  fs::copy_file(kLr, dir / "lr.tif");
  ASSERT_EQ(t::run_command("cd " + t::quote(dir) + " && tar cf lr.tar lr.tif").exit_code, 0);
  ASSERT_EQ(geosr("vrt -q --steps 2 " + t::quote("GTIFF_DIR:1:" + (dir / "lr.tif").string()) + " " + t::quote(dir / "dir.vrt"))
                .exit_code, 0);
  ASSERT_EQ(t::run_command("cd " + t::quote(dir) + " && " GEOSR_BINARY " vrt -q --steps 2 /vsitar/lr.tar/lr.tif tar.vrt").exit_code, 0);
  for (const std::string name : {"dir.vrt", "tar.vrt"}) {
    const auto info = gdal("sh -c 'cd / && gdalinfo -checksum " + (dir / name).string() + "'");
    EXPECT_EQ(info.exit_code, 0) << name << ": " << info.output;
    EXPECT_NE(info.output.find("Size is 255, 255"), std::string::npos) << name << ": " << info.output;
  }
  // In a descriptor too; and one with a byte order mark, its "geosr" key past GDAL's first 1 KiB,
  // its ranges as nested arrays and its numbers as floats, as an editor or a script (json.dumps) writes them.
  std::ofstream(dir / "dir.geosr.json") << R"({"geosr": 1, "steps": 2, "source": "GTIFF_DIR:1:)" << (dir / "lr.tif").string() << "\"}";
  std::ofstream(dir / "late.geosr.json") << "\xEF\xBB\xBF{\"source\": \"lr.tif\"," << std::string(3000, '\n')
                                          << "\"in_range\": [[0, 255.0], [0, 255], [0, 255]], \"geosr\": 1, \"steps\": 2.0}";
  for (const std::string name : {"dir.geosr.json", "late.geosr.json"}) {
    const auto info = gdal("gdalinfo " + t::quote(dir / name));
    EXPECT_EQ(info.exit_code, 0) << name << ": " << info.output;
    EXPECT_NE(info.output.find("Driver: GEOSR"), std::string::npos) << name << ": " << info.output;
    EXPECT_NE(info.output.find("GEOSR_STEPS=2\n"), std::string::npos) << name << ": " << info.output;
  }
}

TEST(GdalPlugin, VrtKeepsNoDataWhereSrDoes) {
  // A Landsat crop a third of which is NoData 0 (outside the scene's footprint).
  const fs::path dir = t::scratch("plugin_vrt_nodata");
  const auto lr = dir / "lr.tif";
  ASSERT_EQ(gdal("gdal_translate -q -srcwin 130 20 60 45 " + t::quote(t::shared_data() / "odd" / "landsat7_rgb_300m.tif") +
                 " " + t::quote(lr)).exit_code, 0);
  ASSERT_EQ(geosr("vrt -q --steps 2 " + t::quote(lr) + " " + t::quote(dir / "sr.vrt")).exit_code, 0);
  ASSERT_EQ(gdal("gdal_translate -q " + t::quote(dir / "sr.vrt") + " " + t::quote(dir / "vrt.tif")).exit_code, 0);
  ASSERT_EQ(geosr("sr -q --steps 2 " + t::quote(lr) + " " + t::quote(dir / "sr.tif")).exit_code, 0);
  const Pixels vrt = read(dir / "vrt.tif"), sr = read(dir / "sr.tif");
  ASSERT_EQ(vrt.values.size(), sr.values.size());
  ASSERT_FALSE(vrt.values.empty());
  // NoData exactly where `geosr sr` has it (the LR pixel under an output pixel decides), and no
  // valid pixel written as NoData.
  const size_t plane = static_cast<size_t>(vrt.width) * vrt.height;
  size_t invalid = 0, disagree = 0;
  for (size_t i = 0; i < plane; ++i) {
    const bool vrt_nodata = vrt.values[i] == 0 && vrt.values[plane + i] == 0 && vrt.values[2 * plane + i] == 0;
    const bool sr_nodata = sr.values[i] == 0 && sr.values[plane + i] == 0 && sr.values[2 * plane + i] == 0;
    invalid += sr_nodata;
    disagree += vrt_nodata != sr_nodata;
    for (int b = 0; b < 3 && !vrt_nodata; ++b) EXPECT_NE(vrt.values[b * plane + i], 0.0) << "pixel " << i;
  }
  EXPECT_GT(invalid, plane / 5);
  EXPECT_LT(invalid, plane / 2);
  EXPECT_EQ(disagree, 0u);

  // The same crop as Float32 with NaN for NoData: GDAL's cubic spreads NaN into valid neighbours,
  // which must not become NoData either.
  const Pixels lr_values = read(lr);
  const size_t lr_plane = static_cast<size_t>(lr_values.width) * lr_values.height;
  t::RasterRecipe recipe;
  recipe.width = lr_values.width;
  recipe.height = lr_values.height;
  recipe.bands = 3;
  recipe.nodata = NAN;
  recipe.value = [&](int b, int r, int c) {
    const size_t i = static_cast<size_t>(r) * lr_values.width + c;
    const bool hole = lr_values.values[i] == 0 && lr_values.values[lr_plane + i] == 0 && lr_values.values[2 * lr_plane + i] == 0;
    return hole ? NAN : lr_values.values[b * lr_plane + i] / 255.0;
  };
  t::write_raster(dir / "lr_nan.tif", recipe);
  ASSERT_EQ(geosr("vrt -q --steps 2 " + t::quote(dir / "lr_nan.tif") + " " + t::quote(dir / "nan.vrt")).exit_code, 0);
  ASSERT_EQ(gdal("gdal_translate -q " + t::quote(dir / "nan.vrt") + " " + t::quote(dir / "vrt_nan.tif")).exit_code, 0);
  ASSERT_EQ(geosr("sr -q --steps 2 " + t::quote(dir / "lr_nan.tif") + " " + t::quote(dir / "sr_nan.tif")).exit_code, 0);
  const Pixels vrt_nan = read(dir / "vrt_nan.tif"), sr_nan = read(dir / "sr_nan.tif");
  ASSERT_EQ(vrt_nan.values.size(), sr_nan.values.size());
  size_t nan_pixels = 0, nan_disagree = 0;
  for (size_t i = 0; i < plane; ++i) {
    nan_pixels += std::isnan(sr_nan.values[i]);
    nan_disagree += std::isnan(vrt_nan.values[i]) != std::isnan(sr_nan.values[i]);
  }
  EXPECT_EQ(nan_pixels, invalid);
  EXPECT_EQ(nan_disagree, 0u);
}

TEST(GdalPlugin, BadNamesAndArgumentsAreGdalErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"'GEOSR:/nonexistent/lr.tif'", "GEOSR:"},
      {connection("steps=abc"), "steps must be an integer"},
      {connection("bogus=1"), "unknown option 'bogus'"},
      {connection("steps=0"), "steps must be 1"},
      {connection("bands=1,2"), "takes 3 bands but 2"},
      {connection("model=/nonexistent.safetensors"), "model not found"},
      {connection("device=tpu"), "device must be cpu, cuda"},
      {connection("blocksize=3"), "blocksize must be"},
      // Values that used to wrap, fall back silently or allocate gigabytes before failing.
      {connection("steps=4294967297"), "steps must be 1"},
      {connection("window=100000"), "window must be at most"},
      {connection("batch=1000000000"), "batch must be 1 .."},
      {connection("bands=1,,2"), "bands are numbers from 1"},
      {connection("scale=-5"), "scale must be 2 .."},
      {connection("cache_mb=nan"), "cache_mb must be a finite number"},
      {"-oo STEPS " + connection("seed=1"), "'STEPS' is not NAME=VALUE"},
      {connection("steps=2&seed=1&steps=3"), "'steps' is given twice"},
      {connection("scale=1"), "scale must be 2 .."},
      {connection("in_range=10,5"), "in_range"},
      {connection("in_range=0,255,0,255"), "in_range gives 2 ranges for 3 bands"},  // not the CLI's --in-range
  };
  for (const auto& [name, expected] : cases) {
    const auto info = gdal("gdalinfo " + name);
    EXPECT_EQ(info.exit_code, 1) << name << ": " << info.output;
    EXPECT_NE(info.output.find(expected), std::string::npos) << name << ": " << info.output;
  }
  // A missing source: one error line, GDAL's reason in it.
  const auto missing = gdal("gdalinfo 'GEOSR:/nonexistent/lr.tif?steps=2'");
  EXPECT_EQ(count(missing.output, "ERROR"), 1) << missing.output;
  EXPECT_NE(missing.output.find("ERROR 4: GEOSR: /nonexistent/lr.tif: No such file or directory"), std::string::npos)
      << missing.output;
  // An open option replaces the name's value before it is read.
  const auto fixed = gdal("gdalinfo -oo STEPS=3 " + connection("steps=abc"));
  EXPECT_EQ(fixed.exit_code, 0) << fixed.output;
  EXPECT_NE(fixed.output.find("GEOSR_STEPS=3"), std::string::npos) << fixed.output;
  // A descriptor cut short: one error line, with GDAL's reason in it.
  const fs::path dir = t::scratch("plugin_errors");
  std::ofstream(dir / "cut.geosr.json") << R"({"geosr": 1, "source": "lr.tif", "steps": )";
  const auto cut = gdal("gdalinfo " + t::quote(dir / "cut.geosr.json"));
  EXPECT_EQ(cut.exit_code, 1) << cut.output;
  EXPECT_EQ(count(cut.output, "ERROR"), 1) << cut.output;
  EXPECT_NE(cut.output.find("GEOSR: cannot read the descriptor " + (dir / "cut.geosr.json").string() +
                            ": JSON parsing error"),
            std::string::npos)
      << cut.output;
  // A VRT asking for a band the model does not have: gdal_translate fails with the reason.
  ASSERT_EQ(geosr("vrt -q --steps 1 " + t::quote(kLr) + " " + t::quote(dir / "sr.vrt")).exit_code, 0);
  std::ifstream in(dir / "sr.vrt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text = std::regex_replace(text, std::regex("band=\"1\" model"), "band=\"7\" model");
  std::ofstream(dir / "bad.vrt") << text;
  const auto bad = gdal("gdal_translate -q " + t::quote(dir / "bad.vrt") + " " + t::quote(dir / "bad.tif"));
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("geosr_sr: band 7 is beyond the model's 3 bands"), std::string::npos) << bad.output;
  // Arguments are read whole and unknown ones named, not skipped.
  for (const auto& [from, to, expected] : std::vector<std::array<std::string, 3>>{
           {"band=\"2\" model", "band=\"1x\" model", "band must be an integer (got '1x')"},
           {"band=\"2\" model", "bogus=\"1\" band=\"2\" model", "unknown argument 'bogus'"}}) {
    std::ofstream(dir / "bad.vrt") << std::regex_replace(t::file_bytes(dir / "sr.vrt"), std::regex(from), to);
    const auto run = gdal("gdal_translate -q " + t::quote(dir / "bad.vrt") + " " + t::quote(dir / "bad2.tif"));
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find(expected), std::string::npos) << run.output;
  }
}

TEST(GdalPlugin, RefusesWhatCannotBeSuperResolved) {
  const fs::path dir = t::scratch("plugin_refusals");
  // Every pixel NoData: the driver and `geosr vrt` refuse it as `geosr sr` does.
  const auto empty = dir / "empty.tif";
  ASSERT_EQ(gdal("gdal_translate -q -a_nodata 0 -scale 0 255 0 0 " + t::quote(kLr) + " " + t::quote(empty)).exit_code, 0);
  const auto info = gdal("gdalinfo " + connection("steps=1", empty.string()));
  EXPECT_EQ(info.exit_code, 1) << info.output;
  EXPECT_NE(info.output.find("no valid pixels"), std::string::npos) << info.output;
  const auto vrt = geosr("vrt " + t::quote(empty) + " " + t::quote(dir / "empty.vrt"));
  EXPECT_EQ(vrt.exit_code, 1) << vrt.output;
  EXPECT_FALSE(fs::exists(dir / "empty.vrt"));
  // VRT XML under a GeoTIFF's name.
  const auto tif = geosr("vrt " + t::quote(kLr) + " " + t::quote(dir / "sr_vrt.tif"));
  EXPECT_EQ(tif.exit_code, 2) << tif.output;
  EXPECT_NE(tif.output.find("DST must end in .vrt"), std::string::npos) << tif.output;
  EXPECT_FALSE(fs::exists(dir / "sr_vrt.tif"));
  // An output beyond GDAL's int sizes is an open error, not a negative size.
  std::ofstream(dir / "wide.vrt") << "<VRTDataset rasterXSize=\"500000000\" rasterYSize=\"20\">"
                                  << "<VRTRasterBand dataType=\"Byte\" band=\"1\"/><VRTRasterBand dataType=\"Byte\" band=\"2\"/>"
                                  << "<VRTRasterBand dataType=\"Byte\" band=\"3\"/></VRTDataset>";
  const auto wide = gdal("gdalinfo " + connection("steps=1", (dir / "wide.vrt").string()));
  EXPECT_EQ(wide.exit_code, 1) << wide.output;
  EXPECT_NE(wide.output.find("beyond GDAL's limit"), std::string::npos) << wide.output;
  // A VRT read a scanline at a time (PNG) would denoise each line as a scene of its own.
  ASSERT_EQ(geosr("vrt -q --steps 1 " + t::quote(kLr) + " " + t::quote(dir / "sr.vrt")).exit_code, 0);
  const auto png = gdal("gdal_translate -q -of PNG " + t::quote(dir / "sr.vrt") + " " + t::quote(dir / "sr.png"));
  EXPECT_EQ(png.exit_code, 1) << png.output;
  EXPECT_NE(png.output.find("too small to denoise on its own"), std::string::npos) << png.output;
  // A source GDAL reaches through a virtual file system.
  ASSERT_EQ(t::run_command("tar -C " + t::quote(t::samples()) + " -cf " + t::quote(dir / "lr.tar") +
                           " naip_riverside_2018_0_lr5.tif").exit_code, 0);
  const auto tar = gdal("gdalinfo " + connection("steps=1", "/vsitar/" + (dir / "lr.tar").string() + "/naip_riverside_2018_0_lr5.tif"));
  EXPECT_EQ(tar.exit_code, 0) << tar.output;
  EXPECT_NE(tar.output.find("Size is 255, 255"), std::string::npos) << tar.output;
}

}  // namespace
