/* The send encoder: the room's send stream, as RTP, on the network thread.
 *
 * It drains the send ring (send-ring.h) as soon as a 20 ms frame is there
 * (the ring's doorbell is a source on the network GMainContext), encodes
 * it with Opus (VOIP, in-band FEC, DTX, configurable bitrate), packetizes
 * it (alto_audio_sender: sequence numbers, timestamps, the sdes:mid and
 * ssrc-audio-level extensions, the DTX rule, talk-spurt markers) and hands
 * the packet to send_rtp (the peer connection's alto_pc_send_rtp). The last
 * second of packets is kept to answer RTCP NACKs with the same packets
 * (audio has no RTX stream in LiveKit's SDP), receiver reports about our
 * SSRC tune the encoder's expected loss (and with it the FEC), and a sender
 * report goes out every second.
 *
 * Mute: the send stream's mute flag travels with the samples (the ring).
 * While muted, the audio is replaced by digital silence, which DTX turns
 * into a packet now and then (as libwebrtc does for a disabled track): the
 * receivers play silence rather than concealing the last word, and the
 * first packet after unmute carries the marker (talk spurt). When the
 * flag differs from what the room was last told (alto_send_encoder_
 * set_room_muted), mute_changed fires: the session sends MuteTrackRequest.
 *
 * Before start() (no negotiated section, peer connection not up) and after
 * stop(), audio is drained and dropped: nothing queues up while offline.
 * A backlog (the network thread was held up) is cut to max_backlog_ms by
 * dropping the oldest audio, so latency stays bounded. A pause in the
 * capture (the stream unlinked, the graph suspended; seen in the capture
 * times the ring carries) moves the RTP clock on by its length, as a
 * microphone that went on capturing silence would have.
 *
 * Thread: the network thread, all of it (the one iterating the
 * GMainContext given to new()); events are called there. Encoding happens
 * here, never on the PipeWire data loop.
 * Returns: 0 or a negative errno. */
#ifndef ALTO_NODE_SEND_ENCODER_H
#define ALTO_NODE_SEND_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "send-ring.h"

#define ALTO_SEND_FRAME_SIZE	960	/* 20 ms at 48 kHz */
#define ALTO_SEND_MAX_PACKET	1400	/* alto_pc_send_rtp's limit */

struct alto_send_encoder_config {
	int bitrate;			/* bit/s, 6000..510000; 0: 32000 */
	int complexity;			/* 0..10; < 0: 10 */
	bool fec;			/* in-band FEC (useinbandfec=1) */
	int min_packet_loss;		/* expected loss % before any report (FEC needs > 0); < 0: 10 */
	bool dtx;			/* discontinuous transmission (usedtx=1) */
	uint32_t history_ms;		/* packets kept for NACKs; 0: 1000 */
	uint32_t max_backlog_ms;	/* older waiting audio is dropped; 0: 100 */
	const char *cname;		/* RTCP CNAME; NULL: "alto" */
};

/* The defaults: 32 kb/s, complexity 10, FEC with 10 % loss, DTX, 1 s of
 * history, 100 ms of backlog: what LiveKit negotiates for a microphone. */
void alto_send_encoder_config_default(struct alto_send_encoder_config *cfg);

/* The sending section as negotiated (alto_pc_media_info). */
struct alto_send_encoder_media {
	uint32_t ssrc;
	uint8_t payload_type;		/* Opus, 111 */
	uint8_t mid_ext_id;		/* 0: none */
	uint8_t audio_level_ext_id;	/* 0: none */
	const char *mid;		/* needed with mid_ext_id */
};

struct alto_send_encoder_events {
#define ALTO_VERSION_SEND_ENCODER_EVENTS 0
	uint32_t version;
	/* An RTP packet to protect and send. capture_ns: CLOCK_MONOTONIC time
	 * its last sample was captured, 0 for a retransmission. */
	int (*send_rtp)(void *data, const uint8_t *buf, size_t len, uint64_t capture_ns);
	/* An RTCP compound packet (sender report + SDES). May be NULL. */
	int (*send_rtcp)(void *data, const uint8_t *buf, size_t len);
	/* The send stream's mute now differs from what the room was told. */
	void (*mute_changed)(void *data, bool muted);
};

struct alto_send_encoder;

/* ctx: the network thread's context (the doorbell and the report timer
 * are attached there). ring: owned by the caller, outlives the encoder.
 * NULL with errno set. */
struct alto_send_encoder *alto_send_encoder_new(GMainContext *ctx, struct alto_send_ring *ring,
		const struct alto_send_encoder_config *cfg,
		const struct alto_send_encoder_events *events, void *data);
void alto_send_encoder_destroy(struct alto_send_encoder *enc);

/* Start (or resume after stop) sending on this section. The same SSRC as
 * before continues its sequence numbers and timestamps; another starts a
 * new random sequence. -EINVAL. */
int alto_send_encoder_start(struct alto_send_encoder *enc, const struct alto_send_encoder_media *media);
/* Stop sending (peer connection gone, track unpublished). */
void alto_send_encoder_stop(struct alto_send_encoder *enc);
bool alto_send_encoder_is_sending(const struct alto_send_encoder *enc);

/* What the room believes about our track's mute (AddTrackRequest muted,
 * MuteTrackRequest sent, or a mute from the server). */
void alto_send_encoder_set_room_muted(struct alto_send_encoder *enc, bool muted);

/* An RTCP compound packet from the peer: NACKs for our SSRC are answered,
 * receiver reports about it set the encoder's expected loss. Returns the
 * number of packets retransmitted, or -EBADMSG. */
int alto_send_encoder_handle_rtcp(struct alto_send_encoder *enc, const uint8_t *buf, size_t len);
/* The same at a given time (CLOCK_MONOTONIC ns) instead of now: the clock
 * of the NACK history's age and resend interval (tests). */
int alto_send_encoder_handle_rtcp_at(struct alto_send_encoder *enc, const uint8_t *buf, size_t len,
		uint64_t now_ns);

int alto_send_encoder_set_bitrate(struct alto_send_encoder *enc, int bitrate);

/* Encodes and sends every whole frame waiting in the ring now (the
 * doorbell's handler; exposed for tests and benchmarks). now_ns:
 * CLOCK_MONOTONIC. Returns the number of frames taken from the ring. */
int alto_send_encoder_process(struct alto_send_encoder *enc, uint64_t now_ns);
/* Sends a sender report (also done every second on its own). */
int alto_send_encoder_send_report(struct alto_send_encoder *enc, uint64_t now_ns);

struct alto_send_encoder_stats {
	uint64_t frames;		/* 20 ms frames taken from the ring */
	uint64_t encoded;		/* frames encoded */
	uint64_t packets;		/* RTP packets sent (retransmissions not counted) */
	uint64_t bytes;			/* RTP bytes sent */
	uint64_t dtx_skipped;		/* DTX frames not sent */
	uint64_t muted_frames;		/* sent as silence while muted */
	uint64_t idle_frames;		/* dropped while not sending */
	uint64_t backlog_dropped;	/* samples dropped to bound the latency */
	uint64_t capture_gaps;		/* pauses in the capture the RTP clock jumped over */
	uint64_t send_errors;		/* send_rtp failed */
	uint64_t nacks;			/* sequence numbers asked for */
	uint64_t retransmitted;		/* ... and sent again */
	uint64_t encode_ns;		/* time spent encoding (CLOCK_MONOTONIC) */
	uint32_t packet_loss;		/* % given to the encoder */
	bool muted;
	bool sending;
};
void alto_send_encoder_get_stats(const struct alto_send_encoder *enc, struct alto_send_encoder_stats *st);

#endif
