#include "vend/metrics.h"

#include <gtest/gtest.h>

namespace vend::metrics {
namespace {

TEST(Metrics, RendersCountersWithLabels) {
  Registry r;
  r.GetCounter("req_total", "Requests", {{"route", "/a"}, {"status", "200"}}).Inc(3);
  r.GetCounter("req_total", "Requests", {{"route", "/a\"b"}, {"status", "404"}}).Inc();
  auto text = r.Render();
  EXPECT_NE(text.find("# TYPE req_total counter"), std::string::npos);
  EXPECT_NE(text.find("req_total{route=\"/a\",status=\"200\"} 3"), std::string::npos);
  EXPECT_NE(text.find("req_total{route=\"/a\\\"b\",status=\"404\"} 1"), std::string::npos);
}

TEST(Metrics, SameSeriesIsSameCounter) {
  Registry r;
  r.GetCounter("c", "h").Inc();
  r.GetCounter("c", "h").Inc();
  EXPECT_EQ(r.GetCounter("c", "h").Value(), 2u);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry r;
  auto& h = r.GetHistogram("lat", "Latency", {0.1, 1.0}, {{"route", "x"}});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  auto text = r.Render();
  EXPECT_NE(text.find("lat_bucket{route=\"x\",le=\"0.1\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{route=\"x\",le=\"1\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{route=\"x\",le=\"+Inf\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_count{route=\"x\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_sum{route=\"x\"} 5.55"), std::string::npos) << text;
}

TEST(Metrics, GaugeReadsAtRenderTime) {
  Registry r;
  int v = 1;
  r.AddGauge("depth", "Depth", [&] { return v; });
  v = 42;
  EXPECT_NE(r.Render().find("depth 42"), std::string::npos);
}

}  // namespace
}  // namespace vend::metrics
