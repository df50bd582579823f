/* A simulated sender, network and sound card around one jitter buffer, in
 * virtual time, for the jitter buffer tests and benchmarks.
 *
 * The sender makes one 20 ms Opus packet per frame index k (a source
 * callback fills the payload or declines to send it, as DTX does), on its
 * own clock (sender_ppm off the sound card's). Packets become RTP (plain
 * Opus PT 111, or RED PT 63 with 1-2 older packets), go through a network
 * (base delay + uniform jitter + a per-packet hook that can drop,
 * duplicate, delay or rewrite them) and are pushed when they "arrive".
 * The sound card pulls `quantum` frames per cycle, or corr × quantum when
 * rate control runs, as PipeWire's adapter does with a rate-matched stream. */
#ifndef ALTO_TESTS_RTC_MEDIA_SIM_H
#define ALTO_TESTS_RTC_MEDIA_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jitter_buffer.h"
#include "opus_codec.h"
#include "rate_control.h"
#include "test_util.h"

#define SIM_FRAME	960
#define SIM_RATE	48000
#define SIM_MAX_PAYLOAD	1400
#define SIM_TS_BASE	0x10000000u	/* RTP time of frame index 0 */
#define SIM_ARRIVALS	4096		/* arrival log: frame index modulo this */

struct sim;

struct sim_pkt {
	uint64_t k;			/* frame index at the sender */
	bool send;			/* source: false = not transmitted (DTX) */
	uint8_t payload[SIM_MAX_PAYLOAD];
	size_t len;
	uint16_t seq;			/* set by the sim, hooks may rewrite */
	uint32_t ts;
	uint32_t ssrc;
	int copies;			/* network hook: 0 = lost, 2 = duplicated */
	double extra_delay_ms;		/* network hook: this packet only */
	bool stray;			/* network hook: the rewritten seq is a one-off,
					 * the stream goes on from the original one */
	bool padding_after;		/* network hook: the sender follows this packet
					 * with a padding-only one (bandwidth probe) */
};

struct sim_flight {
	uint64_t arrival_ns;
	uint64_t order;
	size_t len;
	uint8_t buf[1500];
};

struct sim {
	/* set before sim_run (sim_init gives defaults) */
	struct alto_jitter_buffer *jb;
	uint32_t channels;
	uint32_t quantum;
	double sender_ppm;
	double base_delay_ms;
	double jitter_ms;
	unsigned int rng;
	int red_distance;		/* 0: plain Opus, 1-2: RED with that many old blocks */
	bool rate_control;
	void (*source)(struct sim *s, struct sim_pkt *p);
	void (*network)(struct sim *s, struct sim_pkt *p);
	void *data;			/* the source's */
	void *net_data;			/* the network hook's */
	float *record;			/* output kept here, record_cap frames */
	size_t record_cap, recorded;
	double warmup_s;		/* delay stats ignore the start */
	bool check_playout;		/* after every pull: alto_jitter_buffer_get_playout()
					 * must name the arrival of the first packet that
					 * brought that audio (or, FEC, of the next one) */

	/* results */
	uint64_t sent, transmitted, delivered;	/* frames, packets sent, packets pushed */
	double delay_min_ms, delay_max_ms, delay_sum_ms;
	uint64_t delay_samples;
	double corr_min, corr_max;
	uint64_t playout_packet;	/* check_playout: pulls that played a packet's audio */
	uint64_t playout_fec;		/*   of these, audio rebuilt from the next packet */
	uint64_t playout_none;		/* pulls with no packet audio (-ENODATA) */
	uint64_t playout_continuous;	/* pulls whose last frame is exactly the frames
					 * pulled after the previous pull's */
	double playout_latency_min_ms, playout_latency_max_ms, playout_latency_sum_ms;
	uint64_t playout_latency_samples;	/* after warmup_s */

	/* state */
	uint64_t next_k;
	uint16_t seq;
	uint32_t ssrc;
	uint64_t cycle;
	double device_frames;		/* frames the sound card played */
	uint64_t pulled;		/* frames pulled from the jitter buffer */
	double pull_acc;
	double corr;
	struct alto_rate_control rc;
	struct sim_flight *flight;
	size_t n_flight;
	uint64_t order;
	struct {
		uint16_t seq;
		uint32_t ts;
		size_t len;
		uint8_t data[SIM_MAX_PAYLOAD];
	} hist[2];
	int n_hist;
	bool playout_prev_valid;
	uint32_t playout_prev_ts;
	struct {			/* first arrival of the audio of frame index k */
		uint32_t ts;
		uint64_t arrival_ns;	/* as pushed */
	} arrivals[SIM_ARRIVALS];
};

void sim_init(struct sim *s, struct alto_jitter_buffer *jb);
/* Runs until the sound card has played `seconds` more. */
void sim_run(struct sim *s, double seconds);
void sim_fini(struct sim *s);
/* Takes back a packet still in flight (by sequence number): lets a hook
 * drop packet N once it sees N+1. Returns the copies removed. */
int sim_unsend(struct sim *s, uint16_t seq);
/* Device time now, in seconds. */
double sim_now(const struct sim *s);

/* A source that encodes a 440 Hz tone of amplitude 0.3 with a real
 * encoder; data: struct sim_tone. */
struct sim_tone {
	struct alto_opus_encoder *enc;
	double amplitude;
	double frequency;
	/* silent between these frame indexes (DTX test) */
	uint64_t silent_from, silent_to;
	bool in_dtx;			/* sender state: WebRTC sends the first
					 * TOC-only packet of a DTX run only */
	bool voice;			/* voice-like signal instead of the tone */
	struct voice_gen voice_state;
};
int sim_tone_init(struct sim_tone *t, const struct alto_opus_encoder_config *cfg);
void sim_tone_fini(struct sim_tone *t);
void sim_tone_source(struct sim *s, struct sim_pkt *p);

/* A source replaying n pre-encoded packets of the tone (1 s = 440 whole
 * periods, so the loop is seamless): hours of packets without encoding. */
struct sim_cycle {
	size_t n;
	size_t lens[50];
	uint8_t pkts[50][SIM_MAX_PAYLOAD];
};
int sim_cycle_init(struct sim_cycle *c, const struct alto_opus_encoder_config *cfg);
void sim_cycle_source(struct sim *s, struct sim_pkt *p);

#endif
