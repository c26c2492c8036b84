/*
 * hex: digests held as bytes are written back as the text they were read
 * from (upper case for thumbprints, lower case for the NTAuth store's
 * values), and any text that is not hex digits is refused, so a
 * thumbprint or store value is never half read.
 */
#include <string.h>

#include "hex.h"
#include "tap.h"

int
main(void)
{
	static const unsigned char	 b[] = { 0x00, 0x0f, 0x10, 0x9a, 0xab,
					    0xff };
	unsigned char			 got[sizeof(b)];
	char				 buf[2 * sizeof(b) + 1];

	tap_is(hex_encode(b, sizeof(b), buf, 1), "000F109AABFF",
	    "upper case, with leading zero digits");
	tap_is(hex_encode(b, sizeof(b), buf, 0), "000f109aabff",
	    "lower case");
	tap_is(hex_encode(b, 0, buf, 1), "", "no bytes: an empty text");
	memset(got, 0x55, sizeof(got));
	tap_ok(hex_decode("000F109AABFF", sizeof(b), got) == 0 &&
	    memcmp(got, b, sizeof(b)) == 0, "upper case read back");
	memset(got, 0x55, sizeof(got));
	tap_ok(hex_decode("000f109aAbFf", sizeof(b), got) == 0 &&
	    memcmp(got, b, sizeof(b)) == 0, "either case read back");
	tap_ok(hex_decode("000F109AABFG", sizeof(b), got) == -1,
	    "a G in the last digit is refused");
	tap_ok(hex_decode("0 0F109AABFF", sizeof(b), got) == -1,
	    "a blank is refused");
	tap_ok(hex_decode("000F10", sizeof(b), got) == -1,
	    "a text shorter than asked is refused at its end");
	return tap_done();
}
