/* The send side of one local audio track: PCM frames in, RTP packets out.
 * Encodes with an alto_opus_encoder, numbers the packets, adds the header
 * extensions LiveKit reads (sdes:mid, ssrc-audio-level with the frame's
 * level and voice activity), and follows libwebrtc's DTX rule: of a run of
 * DTX frames (1-2 byte packets) only the first is sent; the timestamp keeps
 * running, the sequence number does not, and the packet that ends the run
 * carries the marker bit (RFC 3551: start of a talk spurt). It also counts
 * what it sent, for the sender report.
 *
 * Thread: the network thread (encoding is not real-time work: the PipeWire
 * send stream hands PCM over through a ring). Plain data, no allocation.
 * Returns: the packet length, 0 when the frame is not to be sent, or a
 * negative errno. */
#ifndef ALTO_RTC_MEDIA_AUDIO_SENDER_H
#define ALTO_RTC_MEDIA_AUDIO_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opus_codec.h"
#include "rtcp.h"

#define ALTO_AUDIO_SENDER_MAX_MID	32

struct alto_audio_sender_config {
	uint32_t ssrc;
	uint8_t payload_type;		/* the negotiated Opus PT, 111 */
	uint8_t mid_ext_id;		/* sdes:mid extension id, 0: none */
	char mid[ALTO_AUDIO_SENDER_MAX_MID];
	uint8_t audio_level_ext_id;	/* ssrc-audio-level extension id, 0: none */
	uint16_t first_seq;		/* random, RFC 3550 */
	uint32_t first_ts;		/* random, RFC 3550 */
};

struct alto_audio_sender {
	struct alto_audio_sender_config cfg;
	uint16_t seq;
	uint32_t ts;
	bool in_dtx;
	bool send_marker;
	uint32_t packets;		/* sent, for the SR */
	uint32_t octets;		/* payload octets sent, for the SR */
	uint32_t last_ts;		/* timestamp of the last frame encoded */
};

int alto_audio_sender_init(struct alto_audio_sender *s, const struct alto_audio_sender_config *cfg);

/* Encodes one frame (alto_opus_encoder_frame_size(enc) frames of pcm, the
 * encoder's channels) and writes the RTP packet to buf. Returns its length,
 * or 0 for a DTX frame that is not sent. */
int alto_audio_sender_packetize(struct alto_audio_sender *s, struct alto_opus_encoder *enc,
		const float *pcm, uint8_t *buf, size_t cap);

/* A sender report: ntp is the wall-clock time (alto_rtcp_ntp_from_unix_ns)
 * that rtp_ts corresponds to (the caller knows how much audio is queued). */
int alto_audio_sender_build_sr(const struct alto_audio_sender *s, uint64_t ntp, uint32_t rtp_ts,
		uint8_t *buf, size_t cap, size_t *out_len);

#endif
