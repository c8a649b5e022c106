#include "core/outbox_drainer.h"

#include <algorithm>

namespace vend::edge::core {

OutboxDrainer::OutboxDrainer(DrainerOptions options, int64_t acked_seq)
    : options_(options), acked_seq_(acked_seq), sent_upto_(acked_seq) {}

void OutboxDrainer::Rewind() {
  sent_upto_ = acked_seq_;
  in_flight_.clear();
}

void OutboxDrainer::OnConnected() {
  connected_ = true;
  timeouts_in_a_row_ = 0;
  Rewind();
}

void OutboxDrainer::OnDisconnected() {
  connected_ = false;
  Rewind();
}

std::optional<OutboxDrainer::SendRequest> OutboxDrainer::NextSend() const {
  if (!connected_ || in_flight_.size() >= options_.window) return std::nullopt;
  return SendRequest{sent_upto_, options_.batch_size};
}

void OutboxDrainer::OnPublished(int64_t first_seq, int64_t last_seq, TimePoint now) {
  // The caller publishes exactly what NextSend asked for; anything else is a bug in it.
  if (first_seq <= sent_upto_ || last_seq < first_seq) return;
  in_flight_.push_back(Batch{first_seq, last_seq, now});
  sent_upto_ = last_seq;
}

OutboxDrainer::AckDecision OutboxDrainer::OnAck(int64_t upto, int64_t last_seq, TimePoint now) {
  if (upto > last_seq) return {AckKind::kInvalid, 0};
  if (upto == acked_seq_) return {AckKind::kDuplicate, 0};
  if (upto < acked_seq_) return {AckKind::kStale, 0};
  acked_seq_ = upto;
  // An ack may cover events this connection has not sent yet (acks of an earlier
  // connection or process arrive late): continue after it instead of re-sending them.
  sent_upto_ = std::max(sent_upto_, upto);
  while (!in_flight_.empty() && in_flight_.front().last_seq <= upto) in_flight_.pop_front();
  last_progress_ = now;
  timeouts_in_a_row_ = 0;
  return {AckKind::kAdvance, upto};
}

std::chrono::milliseconds OutboxDrainer::CurrentTimeout() const {
  int factor = 1;
  for (int i = 0; i < timeouts_in_a_row_ && factor < options_.max_timeout_factor; ++i) factor *= 2;
  return options_.ack_timeout * std::min(factor, std::max(1, options_.max_timeout_factor));
}

std::optional<OutboxDrainer::TimePoint> OutboxDrainer::AckDeadline() const {
  if (in_flight_.empty()) return std::nullopt;
  return std::max(in_flight_.front().sent_at, last_progress_) + CurrentTimeout();
}

bool OutboxDrainer::CheckAckTimeout(TimePoint now) {
  auto deadline = AckDeadline();
  if (!deadline || now < *deadline) return false;
  ++timeouts_in_a_row_;
  Rewind();
  return true;
}

}  // namespace vend::edge::core
