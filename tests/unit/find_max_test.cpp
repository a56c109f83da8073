// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// --find-max: the SLO's terms and their errors, each term's verdict on a
// step, and the rates the search tries against servers with known limits.

#include <catch2/catch.hpp>

#include <cmath>

#include "cli/find_max.hpp"

using namespace xdpgen;
using Catch::Matchers::Contains;

TEST_CASE("--slo terms", "[find_max]")
{
    auto s = parse_slo("p99<10ms, connect.p99.9<1.5ms,max<2s,errors<=3");
    REQUIRE(s);
    REQUIRE(s->terms.size() == 5);  // and the default rate term
    CHECK(s->terms[0].kind == SloTerm::Kind::Latency);
    CHECK(s->terms[0].metric.empty());
    CHECK(s->terms[0].quantile == Approx(0.99));
    CHECK(s->terms[0].limit_ns == 10'000'000);
    CHECK(s->terms[1].metric == "connect");
    CHECK(s->terms[1].quantile == Approx(0.999));
    CHECK(s->terms[1].limit_ns == 1'500'000);
    CHECK(s->terms[2].quantile == 1.0);
    CHECK(s->terms[2].limit_ns == 2'000'000'000);
    CHECK(s->terms[3].kind == SloTerm::Kind::Errors);
    CHECK(s->terms[3].max_errors == 3);
    CHECK(s->terms[4].kind == SloTerm::Kind::Rate);
    CHECK(s->terms[4].min_rate == Approx(0.95));
    CHECK(s->text() == "p99<10ms,connect.p99.9<1.5ms,max<2s,errors<=3,rate>=0.95");

    auto r = parse_slo("rate>=0.99,errors=0");
    REQUIRE(r);
    CHECK(r->terms.size() == 2);
    CHECK(r->terms[0].min_rate == Approx(0.99));
    // A latency alone still counts failures: 503s past a limit meet no objective.
    auto l = parse_slo("p99<100ms");
    REQUIRE(l);
    CHECK(l->text() == "p99<100ms,errors=0,rate>=0.95");

    CHECK_THAT(parse_slo("p99<10").error().message(), Contains("'10' is not a duration"));
    CHECK_THAT(parse_slo("p100<10ms").error().message(), Contains("not a percentile"));
    CHECK_THAT(parse_slo("q99<10ms").error().message(), Contains("not a percentile"));
    CHECK_THAT(parse_slo("dns.p99<10ms").error().message(), Contains("'dns' is no latency"));
    CHECK_THAT(parse_slo("errors=-1").error().message(), Contains("errors takes a count"));
    CHECK_THAT(parse_slo("errors=1.5").error().message(), Contains("errors takes a count"));
    CHECK_THAT(parse_slo("rate>=2").error().message(), Contains("rate takes the share"));
    CHECK_THAT(parse_slo("p99<10ms,,errors=0").error().message(), Contains("an empty term"));
    CHECK_THAT(parse_slo("fast").error().message(), Contains("'fast' is not a term"));
}

TEST_CASE("a step meets the SLO or says which term it broke", "[find_max]")
{
    auto slo = parse_slo("p99<10ms,connect.max<1ms,errors=0");
    REQUIRE(slo);
    LatencyHistogram total, connect;
    for (int i = 0; i < 1000; i++)
        total.add(i < 980 ? 1'000'000 : 9'000'000);
    connect.add(500'000);
    StepMeasure m{1000, 990, 0, {{"total", &total}, {"connect", &connect}}};
    CHECK(judge_step(*slo, "total", m).ok);

    StepMeasure slow = m;
    LatencyHistogram t2 = total;
    t2.add(50'000'000, 100);  // p99 now 50 ms
    slow.latencies[0].second = &t2;
    auto v = judge_step(*slo, "total", slow);
    CHECK_FALSE(v.ok);
    CHECK_THAT(v.why, Contains("total was") && Contains("(p99<10ms)"));

    StepMeasure failed = m;
    failed.failed = 2;
    CHECK_THAT(judge_step(*slo, "total", failed).why, Contains("2 failed (errors=0)"));

    StepMeasure short_rate = m;
    short_rate.reached = 900;
    CHECK_THAT(judge_step(*slo, "total", short_rate).why, Contains("rate>=0.95"));

    // The mode's own latency missing (no request measured) breaks a bare pNN term.
    CHECK_THAT(judge_step(*slo, "request", m).why, Contains("no request latency measured"));
}

namespace {
// Runs a search against a server that meets the SLO up to `limit`.
RateSearch search_against(double limit, double start, double precision = 0.05)
{
    RateSearch s(start, 2, precision);
    while (auto r = s.next())
        s.record(*r, *r <= limit);
    return s;
}
}  // namespace

TEST_CASE("the search doubles, then bisects to within the precision", "[find_max]")
{
    for (double limit : {1234.0, 1000.0, 2000.0, 77'777.0, 999.0, 50'001.0}) {
        INFO(limit);
        RateSearch s = search_against(limit, 1000);
        REQUIRE(s.first_bad());
        if (limit >= 1000) {
            REQUIRE(s.best_ok());
            CHECK(*s.best_ok() <= limit);
            CHECK(*s.first_bad() > limit);
            CHECK(*s.first_bad() - *s.best_ok() <= 0.05 * *s.first_bad());
            CHECK(*s.best_ok() >= limit * 0.95);
        } else {
            // Below the start: bisects down from it.
            REQUIRE(s.best_ok());
            CHECK(*s.best_ok() <= limit);
            CHECK(*s.best_ok() >= limit * 0.95);
        }
        CHECK(s.steps() <= 24);
    }
    // Nothing meets it: the search gives up 64x below the start.
    RateSearch none = search_against(0, 1000);
    CHECK_FALSE(none.best_ok());
    CHECK(*none.first_bad() < 1000.0 / 32);
    // Everything meets it: the step limit ends the search.
    RateSearch all = search_against(1e300, 1);
    CHECK(all.steps() == 24);
    CHECK_FALSE(all.first_bad());
}

TEST_CASE("the step table names each verdict", "[find_max]")
{
    std::vector<StepRow> rows = {{1000, 999, 0, 100'000, 900'000, true, ""},
                                 {2000, 1500, 3, 200'000, 30'000'000, false, "3 failed (errors=0)"}};
    auto t = find_max_table(rows, "conn/s");
    REQUIRE(t.size() == 3);
    CHECK_THAT(t[1], Contains("ok"));
    CHECK_THAT(t[2], Contains("broke: 3 failed (errors=0)"));
    auto slo = parse_slo("errors=0");
    RateSearch s(1000);
    s.record(1000, true);
    s.record(2000, false);
    auto j = find_max_json(rows, *slo, s, "conn/s");
    CHECK(j["max_ok"] == 1000.0);
    CHECK(j["first_bad"] == 2000.0);
    CHECK(j["first_bad_why"] == "3 failed (errors=0)");
    CHECK(j["steps"].size() == 2);
}
