/* send-wire: RTP as it leaves for the wire, for the send benchmark
 * (bench/send-latency.mjs, "## Send" in bench/README.md).
 *
 * An AF_PACKET socket on the loopback interface (every packet between
 * processes of this machine passes there, also those addressed to its own
 * interface address) sees each UDP datagram as the sending process hands it
 * to the kernel (kernel timestamp; on loopback the receive side runs in the
 * sender's system call). SRTP leaves
 * the RTP header and its extensions in the clear, so for every RTP packet
 * one JSON line goes to stdout:
 *   {"t":<CLOCK_MONOTONIC ns>,"sport":N,"dport":N,"ssrc":N,"seq":N,"ts":N,"m":0|1,"pt":N,"len":N,"ext":{"1":V,...}}
 * ext: the one-byte (RFC 8285) elements of length 1 (ssrc-audio-level is
 * one of them; the benchmark tells it from sdes:mid by its changing value).
 * RTCP (PT 200..206 in the second byte) is skipped.
 *
 * Needs CAP_NET_RAW (root). Runs until SIGINT/SIGTERM. Only watches
 * traffic; sends nothing.
 *
 *   send-wire [--ports LO-HI]   (UDP destination ports to watch; default all) */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

int main(int argc, char *argv[])
{
	struct sockaddr_ll sll = { 0 };
	struct timespec rt, mono;
	unsigned port_lo = 0, port_hi = 65535;
	int64_t rt_to_mono;
	int fd, one = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ports") == 0 && i + 1 < argc &&
		    sscanf(argv[++i], "%u-%u", &port_lo, &port_hi) == 2) {
			continue;
		}
		fprintf(stderr, "usage: send-wire [--ports LO-HI]\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (fd < 0) {
		fprintf(stderr, "send-wire: AF_PACKET socket: %s (needs CAP_NET_RAW)\n", strerror(errno));
		return 1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)if_nametoindex("lo");
	if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "send-wire: bind to lo: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	/* kernel timestamps are CLOCK_REALTIME: map them onto CLOCK_MONOTONIC,
	 * the clock the feeders use */
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	rt_to_mono = (int64_t)ts_ns(&mono) - (int64_t)ts_ns(&rt);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fprintf(stderr, "send-wire: listening on lo\n");

	static uint32_t seen_ssrc[64], seen_seq[64];
	static size_t seen_len[64];

	while (!stop) {
		uint8_t buf[2048], ctrl[256];
		struct sockaddr_ll from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctrl, .msg_controllen = sizeof(ctrl),
		};
		ssize_t n = recvmsg(fd, &msg, 0);
		uint64_t t = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "send-wire: recvmsg: %s\n", strerror(errno));
			return 1;
		}
		/* on lo a packet may show twice, going out and coming in (some
		 * kernels only show it coming in): duplicates go below */
		if (from.sll_pkttype != PACKET_OUTGOING && from.sll_pkttype != PACKET_HOST)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
				t = (uint64_t)((int64_t)ts_ns((struct timespec *)CMSG_DATA(c)) + rt_to_mono);
		if (t == 0) {
			clock_gettime(CLOCK_MONOTONIC, &mono);
			t = ts_ns(&mono);
		}

		/* IPv4 / UDP */
		if (n < 20 || (buf[0] >> 4) != 4 || buf[9] != 17)
			continue;
		size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
		if ((size_t)n < ihl + 8)
			continue;
		const uint8_t *udp = buf + ihl;
		unsigned sport = (unsigned)(udp[0] << 8 | udp[1]), dport = (unsigned)(udp[2] << 8 | udp[3]);
		if (dport < port_lo || dport > port_hi)
			continue;
		const uint8_t *rtp = udp + 8;
		size_t len = (size_t)n - ihl - 8;

		/* RTP version 2, not RTCP, not STUN/DTLS */
		if (len < 12 || (rtp[0] >> 6) != 2 || (rtp[1] >= 192 && rtp[1] <= 223))
			continue;
		unsigned cc = rtp[0] & 0x0f, pt = rtp[1] & 0x7f, marker = rtp[1] >> 7;
		size_t off = 12 + 4 * cc;
		if (off > len)
			continue;
		{
			/* the same packet a second time (the other direction on lo) */
			uint32_t key = (uint32_t)rtp[8] << 24 | (uint32_t)rtp[9] << 16 | (uint32_t)rtp[10] << 8 | rtp[11];
			uint32_t seqv = (uint32_t)(rtp[2] << 8 | rtp[3]);
			size_t h = (key ^ (key >> 13)) % 64;
			if (seen_ssrc[h] == key && seen_seq[h] == seqv && seen_len[h] == len)
				continue;
			seen_ssrc[h] = key;
			seen_seq[h] = seqv;
			seen_len[h] = len;
		}
		printf("{\"t\":%llu,\"sport\":%u,\"dport\":%u,\"ssrc\":%u,\"seq\":%u,\"ts\":%u,\"m\":%u,\"pt\":%u,\"len\":%zu,\"ext\":{",
		       (unsigned long long)t, sport, dport,
		       (unsigned)((uint32_t)rtp[8] << 24 | (uint32_t)rtp[9] << 16 | (uint32_t)rtp[10] << 8 | rtp[11]),
		       (unsigned)(rtp[2] << 8 | rtp[3]),
		       (unsigned)((uint32_t)rtp[4] << 24 | (uint32_t)rtp[5] << 16 | (uint32_t)rtp[6] << 8 | rtp[7]),
		       marker, pt, len);
		if ((rtp[0] & 0x10) && off + 4 <= len && rtp[off] == 0xBE && rtp[off + 1] == 0xDE) {
			size_t words = (size_t)(rtp[off + 2] << 8 | rtp[off + 3]);
			size_t p = off + 4, end = off + 4 + 4 * words;
			bool first = true;
			if (end > len)
				end = len;
			while (p < end) {
				uint8_t id = rtp[p] >> 4, l = (uint8_t)((rtp[p] & 0x0f) + 1);
				if (rtp[p] == 0) {	/* padding */
					p++;
					continue;
				}
				if (id == 15 || p + 1 + l > end)
					break;
				if (l == 1) {
					printf("%s\"%u\":%u", first ? "" : ",", id, rtp[p + 1]);
					first = false;
				}
				p += 1 + l;
			}
		}
		printf("}}\n");
	}
	close(fd);
	return 0;
}
