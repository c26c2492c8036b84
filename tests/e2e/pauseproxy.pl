#!/usr/bin/perl
# tests/e2e/pauseproxy.pl: a pausable TCP proxy between certbulk and a test
# directory server, so that tests which stop a run in its middle (kill -9,
# a lost server) do not depend on the run being slower than a sleep.
#
#   pauseproxy.pl LISTEN-HOST TARGET-HOST TARGET-PORT CTLDIR [UNDO-DIR N]
#
# Listens on LISTEN-HOST, on a free port that it writes to CTLDIR/port once
# it accepts connections, and forwards every connection to TARGET-HOST:
# TARGET-PORT, both ways, bytes as they come (TLS passes through; listen on
# the server's own address so its certificate still verifies).
#
# Paused, it reads from no socket: nothing passes either way, and the
# client waits for replies that do not come.  It pauses on SIGUSR1, or,
# with UNDO-DIR and N, by itself as soon as the first undo file that
# appears in UNDO-DIR after the start (undo-*.ldif) holds N records
# ("# certbulk-record: " lines; N = 0: as soon as the file exists).  That
# is checked before each chunk is forwarded, and certbulk writes a record
# before it sends the modify, so at most the modifies of the first N - 1
# records reach the server.  CTLDIR/paused exists while paused.  SIGUSR2
# resumes (the undo condition does not fire again); SIGTERM ends it.
# Closes both sides of a connection when either side closes.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

sub usage {
	print STDERR "usage: $0 LISTEN-HOST TARGET-HOST TARGET-PORT CTLDIR [UNDO-DIR N]\n";
	exit 2;
}
@ARGV == 4 || @ARGV == 6 or usage();
my ($lhost, $thost, $tport, $ctl, $udir, $want) = @ARGV;
$tport =~ /^\d+$/ or usage();
!defined $want || $want =~ /^\d+$/ or usage();

my $listen = IO::Socket::INET->new(
	LocalAddr => $lhost,
	LocalPort => 0,
	Listen    => 16,
	ReuseAddr => 1,
	Proto     => 'tcp'
) or die "pauseproxy: cannot listen on $lhost: $!\n";

my %seen;
%seen = map { ($_, 1) } glob("$udir/undo-*.ldif") if defined $udir;
my $paused = 0;
my $armed  = defined $want;
my $term   = 0;
$SIG{USR1} = sub { $paused = 1 };
$SIG{USR2} = sub { $paused = 0; $armed = 0 };
$SIG{TERM} = $SIG{INT} = $SIG{HUP} = sub { $term = 1 };
$SIG{PIPE} = 'IGNORE';

sub put_file {
	my ($name, $text) = @_;
	open(my $fh, '>', "$ctl/$name.tmp") or die "pauseproxy: $ctl/$name.tmp: $!\n";
	print $fh $text;
	close($fh) or die "pauseproxy: $ctl/$name.tmp: $!\n";
	rename("$ctl/$name.tmp", "$ctl/$name") or die "pauseproxy: $ctl/$name: $!\n";
}

# The undo file is read incrementally: it only grows while certbulk runs.
my ($ufile, $upos, $ucount, $upart) = (undef, 0, 0, '');
sub undo_reached {
	return 0 unless $armed;
	if (!defined $ufile) {
		for my $f (sort glob("$udir/undo-*.ldif")) {
			next if $seen{$f};
			$ufile = $f;
			last;
		}
		return 0 unless defined $ufile;
	}
	if (open(my $fh, '<', $ufile)) {
		seek($fh, $upos, 0);
		local $/;
		my $data = <$fh>;
		close($fh);
		if (defined $data && length $data) {
			$upos += length $data;
			my @lines = split /\n/, $upart . $data, -1;
			$upart = pop @lines;
			$ucount += grep { /^# certbulk-record: / } @lines;
		}
	}
	return $ucount >= $want;
}

my %peer;	# socket -> the other side of its connection
my $sel = IO::Select->new($listen);
sub drop {
	my ($s) = @_;
	my $o = delete $peer{$s};
	for my $x ($s, defined $o ? $o : ()) {
		delete $peer{$x};
		$sel->remove($x);
		close($x);
	}
}

put_file('port', $listen->sockport . "\n");
my $flag = 0;	# CTLDIR/paused written
while (!$term) {
	if ($paused != $flag) {
		if ($paused) {
			put_file('paused', "$ucount\n");
		} else {
			unlink("$ctl/paused");
		}
		$flag = $paused;
	}
	if ($paused) {
		select(undef, undef, undef, 0.05);
		next;
	}
	for my $s ($sel->can_read(0.2)) {
		last if $paused || $term;
		if ($s == $listen) {
			my $c = $listen->accept or next;
			my $u = IO::Socket::INET->new(
				PeerAddr => $thost,
				PeerPort => $tport,
				Proto    => 'tcp'
			);
			if (!$u) {
				close($c);
				next;
			}
			$peer{$c} = $u;
			$peer{$u} = $c;
			$sel->add($c, $u);
			next;
		}
		next unless exists $peer{$s};
		if (undo_reached()) {
			$paused = 1;
			last;
		}
		my $n = sysread($s, my $buf, 65536);
		if (!$n) {
			drop($s);
			next;
		}
		my $o = $peer{$s};
		my $off = 0;
		while ($off < $n) {
			my $w = syswrite($o, $buf, $n - $off, $off);
			if (!defined $w) {
				next if $!{EINTR};
				last;
			}
			$off += $w;
		}
		drop($s) if $off < $n;
	}
}
unlink("$ctl/paused");
exit 0;
