#include "app/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/catalog.h"
#include "vend/topics.h"

namespace vend::cloud::app {

Dispatcher::Dispatcher(core::CommandOutbox& outbox, core::MessagePublisher& publisher,
                       metrics::Registry& registry, Options options)
    : outbox_(outbox),
      publisher_(publisher),
      registry_(registry),
      options_(options),
      published_(registry.GetCounter("vend_cloud_commands_published_total",
                                     "Commands published to machines (re-sends included)")),
      messages_(registry.GetCounter("vend_cloud_command_messages_published_total",
                                    "Command batch messages published")),
      failures_(registry.GetCounter("vend_cloud_command_publish_failures_total",
                                    "Command messages that could not be published")),
      busy_(registry.GetCounter("vend_cloud_dispatch_busy_total",
                                "Machines left out of a claim while another instance claimed "
                                "their earlier commands")),
      retry_thread_([this] { RetryLoop(); }) {}

Dispatcher::~Dispatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  retry_thread_.join();
}

void Dispatcher::OnMachineOnline(const std::string& machine) {
  core::DispatchScope scope;
  scope.machine = machine;
  scope.not_sent_since_online = true;
  Send(scope, "online");
}

void Dispatcher::SendNew() {
  core::DispatchScope scope;
  scope.only_unsent = true;
  Send(scope, "new");
}

void Dispatcher::ResendDue() {
  core::DispatchScope scope;
  scope.only_online = true;
  scope.min_resend_gap = options_.resend_interval;
  Send(scope, "timer");
}

void Dispatcher::SendAllPending() {
  core::DispatchScope scope;
  scope.min_resend_gap = options_.min_gap;
  Send(scope, "connect");
}

size_t Dispatcher::Send(const core::DispatchScope& scope, const char* trigger, int attempt) {
  // Nothing to gain from claiming rows that cannot go out; the timer retries later.
  if (!publisher_.Connected()) return 0;
  registry_
      .GetCounter("vend_cloud_dispatch_rounds_total", "Dispatch rounds run, by trigger",
                  {{"trigger", trigger}})
      .Inc();
  size_t sent = 0;
  bool busy = false;
  for (;;) {
    auto claimed = outbox_.ClaimForDispatch(scope);
    if (!claimed.ok()) {
      spdlog::error("dispatch trigger={} claim failed: {}", trigger, claimed.status().ToString());
      return sent;
    }
    size_t rows = 0;
    for (auto& mc : claimed->machines) {
      rows += mc.commands.size();
      const size_t count = mc.commands.size();
      for (const auto& batch : core::BatchCommands(std::move(mc.commands))) {
        auto s = publisher_.Publish(schemas::Topic(mc.machine, schemas::TopicKind::kCommands),
                                    schemas::EncodeCommandBatch(batch).dump(), 1, false);
        if (!s.ok()) {
          failures_.Inc();
          spdlog::warn("dispatch trigger={} machine={} publish failed: {}", trigger, mc.machine,
                       s.ToString());
          continue;
        }
        messages_.Inc();
        published_.Inc(batch.commands.size());
        sent += batch.commands.size();
      }
      spdlog::info("dispatch trigger={} machine={} commands={}", trigger, mc.machine, count);
    }
    for (const auto& m : claimed->busy_machines) {
      busy_.Inc();
      spdlog::info("dispatch trigger={} machine={} busy attempt={}", trigger, m, attempt);
    }
    busy = busy || !claimed->busy_machines.empty();
    // A full page means more may be waiting; the due rows of a page are all stamped, so
    // the next page has new ones. (A page holds at most `limit` due rows plus the
    // earlier pending commands of their machines.) A page filled only by busy machines
    // would come back the same: the retry takes it.
    if (rows + claimed->busy_rows < scope.limit || rows == 0) break;
  }
  if (busy) ScheduleRetry(scope, trigger, attempt + 1);
  return sent;
}

void Dispatcher::ScheduleRetry(const core::DispatchScope& scope, const char* trigger, int attempt) {
  if (attempt > options_.busy_retries) {
    spdlog::warn("dispatch trigger={} machine={} still busy after {} attempts; left to the timer",
                 trigger, scope.machine.empty() ? "*" : scope.machine, options_.busy_retries);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    // One pending retry per trigger and machine scope: a later round with the same scope
    // is covered by it.
    retries_.try_emplace(
        std::string(trigger) + "/" + scope.machine,
        Retry{scope, trigger, attempt, Clock::now() + options_.busy_retry * attempt});
  }
  cv_.notify_all();
}

void Dispatcher::RetryLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (retries_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto next =
        std::min_element(retries_.begin(), retries_.end(),
                         [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
    if (Clock::now() < next->second.at) {
      cv_.wait_until(lock, next->second.at);
      continue;
    }
    Retry retry = std::move(next->second);
    retries_.erase(next);
    lock.unlock();
    Send(retry.scope, retry.trigger, retry.attempt);
    lock.lock();
  }
}

}  // namespace vend::cloud::app
