/* Fuzz target: the module's SPA-JSON args check (node/module/module-args.c).
 * Args are written by people, not the network, but the check walks
 * arbitrary text with its own recursion and escapes: it must never read out
 * of bounds, recurse without limit, or leave the reason unterminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "module-args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char why[96], tiny[4];
	int res;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	res = alto_module_args_check(text, why, sizeof(why));
	if (res != 0 && (res != -22 || why[0] == '\0' || memchr(why, '\0', sizeof(why)) == NULL))
		abort();	/* refused: -EINVAL with a reason */
	if (res == 0 && why[0] != '\0')
		abort();
	/* the answer does not depend on the reason buffer */
	if (alto_module_args_check(text, tiny, sizeof(tiny)) != res || alto_module_args_check(text, NULL, 0) != res)
		abort();
	free(text);
	return 0;
}
