// OutboxDrainer: the bookkeeping of DESIGN.md section 4 rule 1, decided on plain values.
//
// The outbox holds exactly the events the cloud has not acknowledged. The drainer sends
// them in seq order, in batches, with at most `window` batches published and not yet
// covered by an ack. It never deletes anything itself: an ack {upto} from the cloud is
// the only thing that lets the caller drop events, and a broker PUBACK counts for
// nothing. After a reconnect or an ack timeout it rewinds and sends again everything
// above the last ack, so every event reaches the cloud at least once; the cloud's
// idempotent ingest by (machine, seq) makes that exactly once in effect.
//
// The caller (the MQTT adapter) loops:
//   while (auto next = drainer.NextSend()) {
//     events = store.PendingEvents(next->after_seq, next->limit);
//     if (events.empty()) break;            // caught up: idle until a new event
//     publish(events); drainer.OnPublished(first seq, last seq, now);
//   }
//
// Thread safety: none; one thread (the sync worker) owns a drainer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace vend::edge::core {

struct DrainerOptions {
  size_t batch_size = 200;  // events per message, 1..schemas::kMaxBatchEvents
  size_t window = 4;        // published batches awaiting an ack, >= 1
  std::chrono::milliseconds ack_timeout{10000};
  // Consecutive ack timeouts double the wait, up to ack_timeout * this factor, so a
  // cloud that is down for hours is not flooded with the same window again and again.
  int max_timeout_factor = 8;
};

class OutboxDrainer {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // `acked_seq`: what the store says the cloud has acknowledged so far.
  OutboxDrainer(DrainerOptions options, int64_t acked_seq);

  // The link to the broker is up: forget what was in flight (it may never have arrived)
  // and start again from the last ack.
  void OnConnected();
  // The link is down: nothing is sent until OnConnected.
  void OnDisconnected();
  bool connected() const { return connected_; }

  struct SendRequest {
    int64_t after_seq = 0;  // send events with seq > after_seq ...
    size_t limit = 0;       // ... at most this many, ascending
  };
  // What to publish next, or nullopt when disconnected or the window is full.
  std::optional<SendRequest> NextSend() const;

  // Events first_seq..last_seq (ascending, the answer to the last NextSend) were handed
  // to the broker at `now`.
  void OnPublished(int64_t first_seq, int64_t last_seq, TimePoint now);

  enum class AckKind {
    kAdvance,    // moves the ack forward: acknowledge_upto events may be dropped
    kDuplicate,  // equals the last ack: nothing to do
    kStale,      // below the last ack (reordered or old): ignored
    kInvalid,    // beyond any event this machine ever wrote: ignored, never deletes
  };
  struct AckDecision {
    AckKind kind = AckKind::kStale;
    int64_t acknowledge_upto = 0;  // meaningful for kAdvance only
  };
  // The cloud acknowledged every event up to `upto` at `now`. `last_seq` is the newest
  // seq the store ever assigned: an ack beyond it cannot be about this database's events.
  AckDecision OnAck(int64_t upto, int64_t last_seq, TimePoint now);

  // When the oldest in-flight batch has waited past the (backed-off) ack timeout with no
  // ack progress meanwhile: rewinds to the last ack so everything above it is sent
  // again, and returns true. A slow but advancing cloud never times out.
  bool CheckAckTimeout(TimePoint now);
  // When CheckAckTimeout would next fire; nullopt while nothing is in flight.
  std::optional<TimePoint> AckDeadline() const;

  int64_t acked_seq() const { return acked_seq_; }
  int64_t sent_upto() const { return sent_upto_; }
  size_t in_flight() const { return in_flight_.size(); }
  const DrainerOptions& options() const { return options_; }

 private:
  struct Batch {
    int64_t first_seq;
    int64_t last_seq;
    TimePoint sent_at;
  };
  std::chrono::milliseconds CurrentTimeout() const;
  void Rewind();

  const DrainerOptions options_;
  bool connected_ = false;
  // Invariant: acked_seq_ <= sent_upto_; in_flight_ is ascending, disjoint, every batch
  // ends above acked_seq_ and at or below sent_upto_.
  int64_t acked_seq_ = 0;
  int64_t sent_upto_ = 0;
  std::deque<Batch> in_flight_;
  TimePoint last_progress_{};  // when an ack last moved acked_seq_ forward
  int timeouts_in_a_row_ = 0;
};

}  // namespace vend::edge::core
