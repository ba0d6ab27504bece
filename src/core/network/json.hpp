#pragma once
// A minimal JSON reader/writer for safetensors headers and model configurations. The core may use
// only LibTorch, and LibTorch has no public JSON API, so this covers exactly what those files need.

#include <string>
#include <utility>
#include <vector>

namespace geosr::json {

struct Value {
  enum class Type { Null, Bool, Number, String, Array, Object };
  Type type = Type::Null;
  bool boolean = false;
  double number = 0.0;
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;  // file order kept

  const Value* find(const std::string& key) const;
  // Throws std::runtime_error naming the key when it is absent.
  const Value& at(const std::string& key) const;
  // Typed accessors that throw std::runtime_error on a type mismatch.
  const std::string& as_string() const;
  long long as_integer() const;
  double as_number() const;
  const std::vector<Value>& as_array() const;
};

// Throws std::runtime_error on malformed input.
Value parse(const std::string& text);

// A JSON number that reads back to exactly d.
std::string number(double d);

// A JSON array of numbers (integers or reals) that read back exactly.
template <typename T>
std::string number_array(const std::vector<T>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + number(static_cast<double>(values[i]));
  return out + "]";
}

// A JSON string literal for s (quotes and escapes included).
std::string quote(const std::string& s);

}  // namespace geosr::json
