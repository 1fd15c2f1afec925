/* ref_utf8.h - the fuzz targets' own UTF-8 check, written from RFC 3629
 * apart from the project's util_utf8_valid(), so that it can judge it. */
#ifndef AR_FUZZ_REF_UTF8_H
#define AR_FUZZ_REF_UTF8_H

#include <stddef.h>

/* Returns 1 when s[0..n) is valid UTF-8 (no overlongs, surrogates). */
static int
ref_utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k;
	unsigned cp, min;

	while (i < n) {
		unsigned c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3; cp = c & 0x07; min = 0x10000;
		} else
			return 0;
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return 0;
		i += k + 1;
	}
	return 1;
}

#endif
