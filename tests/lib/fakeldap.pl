#!/usr/bin/perl
# fakeldap.pl PORTFILE CAPTURE: a hostile "LDAP server" on 127.0.0.1 that
# records every byte it receives in CAPTURE (appended), for tests that must
# prove a password never reaches the wire in clear.  It writes its port to
# PORTFILE, answers StartTLS (an extended request) with "unavailable" (52),
# a bind with "invalidCredentials" (49), and closes on anything else.
use strict;
use warnings;
use IO::Socket::INET;

my ($portfile, $capture) = @ARGV;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 5, ReuseAddr => 1, Proto => 'tcp') or die "listen: $!\n";
open(my $pf, '>', "$portfile.tmp") or die "$portfile: $!\n";
print $pf $srv->sockport, "\n";
close($pf);
rename("$portfile.tmp", $portfile) or die "$portfile: $!\n";

# reads one BER element's header from BUF at OFF: (tag, length, header size)
sub hdr {
	my ($buf, $off) = @_;
	return () if length($buf) < $off + 2;
	my $tag = ord(substr($buf, $off, 1));
	my $l = ord(substr($buf, $off + 1, 1));
	return ($tag, $l, 2) if $l < 0x80;
	my $n = $l & 0x7f;
	return () if $n > 4 || length($buf) < $off + 2 + $n;
	my $len = 0;
	$len = $len * 256 + ord(substr($buf, $off + 2 + $_, 1)) for 0 .. $n - 1;
	return ($tag, $len, 2 + $n);
}

while (my $c = $srv->accept) {
	my $buf = '';
	while (1) {
		my $got = sysread($c, my $chunk, 65536);
		last if !$got;
		open(my $cap, '>>', $capture) or die "$capture: $!\n";
		print $cap $chunk;
		close($cap);
		$buf .= $chunk;
		my ($t, $len, $h) = hdr($buf, 0);
		next if !defined $t || length($buf) < $h + $len;
		my $msg = substr($buf, 0, $h + $len, '');
		my (undef, $idlen, $ih) = hdr($msg, $h);
		my $id = substr($msg, $h, $ih + $idlen);
		my $op = ord(substr($msg, $h + $ih + $idlen, 1));
		my $res;
		if ($op == 0x77) {	# extended request: StartTLS refused
			$res = "\x78\x07\x0a\x01\x34\x04\x00\x04\x00";
		} elsif ($op == 0x60) {	# bind request
			$res = "\x61\x07\x0a\x01\x31\x04\x00\x04\x00";
		} else {
			last;
		}
		my $body = $id . $res;
		syswrite($c, "\x30" . chr(length($body)) . $body);
	}
	close($c);
}
