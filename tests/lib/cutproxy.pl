#!/usr/bin/perl
# cutproxy.pl PORTFILE HOST PORT PATTERN [HOLDFILE]: a TCP proxy on
# 127.0.0.1 to HOST:PORT that drops both sides of a connection (without an
# answer) as soon as the client sends bytes containing PATTERN, e.g. the
# OID of an LDAP extended request: a server that goes away at that exact
# step.  With HOLDFILE it holds those bytes instead, once, until HOLDFILE
# exists (creating HOLDFILE.held meanwhile), then goes on: a client paused
# at that step while others act.
# It writes its port to PORTFILE and serves connections one at a time.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($portfile, $host, $port, $pattern, $holdfile) = @ARGV;
my $held = 0;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 5, ReuseAddr => 1, Proto => 'tcp') or die "listen: $!\n";
open(my $pf, '>', "$portfile.tmp") or die "$portfile: $!\n";
print $pf $srv->sockport, "\n";
close($pf);
rename("$portfile.tmp", $portfile) or die "$portfile: $!\n";

while (my $c = $srv->accept) {
	my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
	    Proto => 'tcp');
	if (!$s) {
		close($c);
		next;
	}
	my $sel = IO::Select->new($c, $s);
	my $seen = '';
	OUTER: while (1) {
		for my $fh ($sel->can_read) {
			my $got = sysread($fh, my $buf, 65536);
			last OUTER if !$got;
			if ($fh == $c) {
				# the pattern may straddle two reads
				$seen = substr($seen . $buf, -4096);
				if (!$held && index($seen, $pattern) >= 0) {
					last OUTER if !defined $holdfile;
					$held = 1;
					# tell the test the client is paused
					if (open(my $hf, '>', "$holdfile.held")) {
						close($hf);
					}
					for (my $i = 0; $i < 6000 && !-e $holdfile; $i++) {
						select(undef, undef, undef, 0.05);
					}
				}
				syswrite($s, $buf);
			} else {
				syswrite($c, $buf);
			}
		}
	}
	close($c);
	close($s);
}
