/* libFuzzer: RED parse; blocks stay inside the payload and rebuild to the
 * same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "red.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alto_red_block blocks[ALTO_RED_MAX_BLOCKS];
	uint8_t buf[70000];
	size_t n, len, total = 0;

	if (alto_red_parse(data, size, 123456, blocks, ALTO_RED_MAX_BLOCKS, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (blocks[i].data < data || blocks[i].data + blocks[i].len > data + size)
			abort();
		total += blocks[i].len;
	}
	if (total > size)
		abort();
	if (alto_red_build(blocks, n, 123456, buf, sizeof(buf), &len) == 0 &&
	    (len != size || memcmp(buf, data, size) != 0))
		abort();
	return 0;
}
