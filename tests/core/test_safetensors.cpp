// Safetensors reading and writing: every dtype round trips, bad files fail with one clear error.
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "geosr/core/network/safetensors.hpp"
#include "geosr/core/runtime.hpp"
#include "test_support.hpp"

using namespace geosr;

namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void dump(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string with_header(const std::string& header, const std::string& data = "") {
  const uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}

}  // namespace

TEST(Safetensors, AllDtypesRoundTrip) {
  const auto dir = test::scratch("roundtrip");
  torch::manual_seed(3);
  TensorMap tensors;
  for (const auto type : {torch::kFloat64, torch::kFloat32, torch::kFloat16, torch::kBFloat16})
    tensors[std::string("f_") + c10::toString(type)] = torch::randn({3, 5, 2}).to(type);
  tensors["i64"] = torch::randint(-1000000, 1000000, {7}, torch::kInt64) * 1000003;
  tensors["i32"] = torch::randint(-1000, 1000, {2, 2}, torch::kInt32);
  tensors["u8"] = torch::randint(0, 255, {4}, torch::kUInt8);
  tensors["bool"] = torch::rand({6}) > 0.5;
  tensors["scalar"] = torch::tensor(2.5);
  tensors["empty"] = torch::zeros({0, 3});
  tensors["strided"] = torch::arange(12, torch::kFloat32).reshape({3, 4}).t();  // non-contiguous
  const StringMap metadata = {{"note", "quotes \" and \\ and\nnewlines"}, {"geosr.x", "{\"a\":[1,2]}"}};
  write_safetensors((dir / "a.safetensors").string(), tensors, metadata);

  const SafetensorsContent back = read_safetensors((dir / "a.safetensors").string());
  EXPECT_EQ(back.metadata, metadata);
  ASSERT_EQ(back.tensors.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    const auto& b = back.tensors.at(name);
    EXPECT_EQ(b.scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(b.sizes(), t.sizes()) << name;
    EXPECT_TRUE(torch::equal(b, t)) << name;
  }
}

TEST(Safetensors, ReadsFilesWrittenByPython) {
  // The converter's own writer (tools/convert_checkpoint.py) in Debian's PyTorch.
  const auto dir = test::scratch("python");
  const auto file = dir / "p.safetensors";
  const std::string script =
      "import sys, torch; sys.path.insert(0, '" + (test::source_dir() / "tools").string() + "');"
      "from convert_checkpoint import write_safetensors;"
      "write_safetensors(sys.argv[1], {'w': torch.arange(6, dtype=torch.float64).reshape(2, 3) / 3,"
      " 'h': torch.tensor([1.5, -2.25], dtype=torch.float16), 'b': torch.tensor([0.1, 3.0]).bfloat16(),"
      " 'i': torch.tensor([-5, 2**40])}, {'k': 'v'})";
  const auto r = test::run_command(std::string(GEOSR_PYTHON) + " -c \"" + script + "\" " + test::quote(file));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto c = read_safetensors(file.string());
  EXPECT_EQ(c.metadata.at("k"), "v");
  EXPECT_TRUE(torch::equal(c.tensors.at("w"), torch::arange(6, torch::kFloat64).reshape({2, 3}) / 3));
  EXPECT_TRUE(torch::equal(c.tensors.at("h"), torch::tensor({1.5, -2.25}).to(torch::kFloat16)));
  EXPECT_TRUE(torch::equal(c.tensors.at("b"), torch::tensor({0.1f, 3.0f}).to(torch::kBFloat16)));
  EXPECT_TRUE(torch::equal(c.tensors.at("i"), torch::tensor({int64_t{-5}, int64_t{1} << 40})));
}

TEST(Safetensors, AWritePastTheFileSizeLimitFailsAndLeavesNothing) {
  // As geosr and geosr-train start, then a limit below the model's 1 MiB.
  fail_writes_past_file_size_limit();
  const auto dir = test::scratch("file_size_limit");
  std::string error;
  try {
    const test::FileSizeLimit limit(64 << 10);
    write_safetensors((dir / "model.safetensors").string(), {{"w", torch::ones({512, 512})}});
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("cannot write"), std::string::npos) << error;
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "no partial or staged file";
}

TEST(Safetensors, BadFilesThrowOneLineErrors) {
  const auto dir = test::scratch("bad");
  write_safetensors((dir / "good.safetensors").string(), {{"w", torch::ones({4, 4})}});
  const std::string good = slurp(dir / "good.safetensors");

  std::map<std::string, std::string> cases = {
      {"empty", ""},
      {"short", good.substr(0, 5)},
      {"truncated_data", good.substr(0, good.size() - 3)},
      {"header_too_long", with_header("{}").replace(0, 1, "\x7f")},
      {"not_json", with_header("{\"w\": {\"dtype\": \"F32\", ")},
      {"not_object", with_header("[1, 2]")},
      {"bad_dtype", with_header(R"({"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0'))},
      {"size_mismatch", with_header(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0'))},
      {"negative_offset", with_header(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})")},
      {"no_offsets", with_header(R"({"w":{"dtype":"F32","shape":[1]}})", std::string(4, '\0'))},
      {"deep", with_header(std::string(500, '[') + std::string(500, ']'))},
  };
  for (const auto& [name, bytes] : cases) {
    const auto path = dir / (name + ".safetensors");
    dump(path, bytes);
    try {
      read_safetensors(path.string());
      ADD_FAILURE() << name << " was accepted";
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << name << ": " << message;
      EXPECT_NE(message.find(path.string()), std::string::npos) << name << ": " << message;
    }
  }
  EXPECT_THROW(read_safetensors((dir / "missing.safetensors").string()), std::runtime_error);
  EXPECT_THROW(write_safetensors((dir / "no_dir" / "x.safetensors").string(), {}), std::runtime_error);
}
