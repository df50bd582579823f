/* libFuzzer: RTCP compound parse with every event set. */
#include <stdint.h>
#include <stdlib.h>

#include "rtcp.h"

static volatile uint32_t sink;

static void on_sr(void *d, const struct alto_rtcp_sr *sr)
{
	for (uint8_t i = 0; i < sr->n_reports; i++)
		sink += sr->reports[i].jitter;
}

static void on_rr(void *d, const struct alto_rtcp_rr *rr)
{
	if (rr->n_reports > ALTO_RTCP_MAX_REPORTS)
		abort();
	for (uint8_t i = 0; i < rr->n_reports; i++)
		sink += rr->reports[i].lsr;
}

static void on_sdes(void *d, uint32_t ssrc, uint8_t type, const uint8_t *text, uint8_t len)
{
	for (uint8_t i = 0; i < len; i++)
		sink += text[i];
}

static void on_bye(void *d, const struct alto_rtcp_bye *bye)
{
	for (uint8_t i = 0; i < bye->reason_len; i++)
		sink += bye->reason[i];
}

static void on_nack(void *d, uint32_t s, uint32_t m, const uint16_t *seqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sink += seqs[i];
}

static const struct alto_rtcp_events events = {
	.sender_report = on_sr,
	.receiver_report = on_rr,
	.sdes_item = on_sdes,
	.bye = on_bye,
	.nack = on_nack,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	alto_rtcp_parse(data, size, &events, NULL);
	return 0;
}
