// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The kernel's own ports (sys/host_ports): the sysctls parsed, and the one
// line a user gets when the generator's ports meet them.

#include <catch2/catch.hpp>

#include "sys/host_ports.hpp"

using namespace xdpgen;

TEST_CASE("host ports: the sysctls are parsed")
{
    auto h = parse_host_ports("32768\t60999\n", "\n");
    REQUIRE(h.ok());
    CHECK(h->ephemeral_lo == 32768);
    CHECK(h->ephemeral_hi == 60999);
    CHECK(h->reserved.empty());

    h = parse_host_ports("1024 65000", "8080,50000-50009\n");
    REQUIRE(h.ok());
    REQUIRE(h->reserved.size() == 2);
    CHECK(h->is_reserved(8080));
    CHECK(h->is_reserved(50005));
    CHECK_FALSE(h->is_reserved(50010));

    CHECK_FALSE(parse_host_ports("32768", "").ok());
    CHECK_FALSE(parse_host_ports("60999 32768", "").ok());
    CHECK_FALSE(parse_host_ports("32768 60999", "80-x").ok());
    CHECK_FALSE(parse_host_ports("32768 60999", "90-80").ok());
}

TEST_CASE("host ports: one line when the ranges meet, none otherwise")
{
    const HostPorts h = parse_host_ports("32768 60999", "").value();
    CHECK_FALSE(host_port_note(h, 10000, 32767, "local ports 10000-32767"));
    auto n = host_port_note(h, 10000, 59999, "local ports 10000-59999");
    REQUIRE(n);
    CHECK(n->find("note: local ports 10000-59999 overlap the kernel's ephemeral ports 32768-60999") == 0);
    CHECK(n->find("add 32768-59999 to net.ipv4.ip_local_reserved_ports") != std::string::npos);
    CHECK(n->find('\n') == std::string::npos);

    // Ports the kernel reserves are not ephemeral: reserving the overlap ends the note's first part.
    const HostPorts r = parse_host_ports("32768 60999", "32768-59999").value();
    n = host_port_note(r, 10000, 59999, "local ports 10000-59999");
    REQUIRE(n);
    CHECK(n->find("ephemeral") == std::string::npos);
    CHECK(n->find("note: local ports 10000-59999 include ports the kernel reserves for the host's services (32768-59999") == 0);

    n = host_port_note(h, std::vector<uint16_t>{8080, 40000});
    REQUIRE(n);
    CHECK(n->find("note: listening port 40000 is one of the kernel's ephemeral ports") == 0);
    CHECK_FALSE(host_port_note(h, std::vector<uint16_t>{80, 8080}));
}
