// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// One error type for the whole engine: what failed, the errno if any, and a
// hint for the user. Wrapped with context as it rises; printed once in main.

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace xdpgen {

struct Error {
    std::string what;  // a sentence: "cannot attach XDP to veth0"
    int err = 0;       // errno, 0 if not from a syscall
    std::string hint;  // what the user can do, may be empty

    // "what: strerror(err)"
    std::string message() const;
    // The error with context put in front: "context: what".
    Error context(const std::string& ctx) const&;
};

Error make_error(std::string what, int err = 0, std::string hint = {});
// errno from a libbpf return value (negative errno) or from errno itself.
Error sys_error(std::string what, int neg_or_errno = errno, std::string hint = {});

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error e) : v_(std::move(e)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const T& value() const& { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    T& operator*() & { return value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : e_(std::move(e)), ok_(false) {}

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return e_; }

private:
    Error e_;
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace xdpgen
