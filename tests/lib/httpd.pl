#!/usr/bin/perl
# httpd.pl ROOT PORTFILE LOG: a tiny HTTP/1.0 server on 127.0.0.1 (a free
# port, written to PORTFILE) that serves the files of ROOT for GET, one
# child process per connection, and appends "GET /path" to LOG for every
# request (the tests count them to check caching).  What it does for
# /NAME is chosen by files in ROOT:
#   NAME             200 with its bytes (Content-Type application/pkix-crl)
#   NAME.hang        accepts, reads the request, never answers (30 s)
#   NAME.garbage     200 with its bytes, served as text/html
#   NAME.big         200 claiming a Content-Length of 200000000
#   NAME.redirect    302 to the URL it holds
#   none of these    404
use strict;
use warnings;
use IO::Socket::INET;
use POSIX ':sys_wait_h';

my ($root, $portfile, $log) = @ARGV;
die "usage: httpd.pl ROOT PORTFILE LOG\n" unless defined $log;
$SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 20, ReuseAddr => 1, Proto => 'tcp') or die "listen: $!\n";
open(my $pf, '>', "$portfile.tmp") or die "$portfile: $!\n";
print $pf $srv->sockport, "\n";
close($pf);
rename("$portfile.tmp", $portfile) or die "$portfile: $!\n";

sub slurp {
	my ($f) = @_;
	open(my $fh, '<:raw', $f) or return undef;
	local $/;
	my $d = <$fh>;
	close($fh);
	return $d;
}

sub answer {
	my ($c, $code, $type, $body, $len) = @_;
	$len = length($body) unless defined $len;
	print $c "HTTP/1.0 $code\r\nContent-Type: $type\r\n",
	    "Content-Length: $len\r\nConnection: close\r\n\r\n", $body;
}

sub serve {
	my ($c) = @_;
	my $req = '';
	while ($req !~ /\r?\n\r?\n/) {
		my $got = sysread($c, my $buf, 4096);
		return if !$got;
		$req .= $buf;
	}
	my ($path) = $req =~ m{^GET (\S+) HTTP/} or return;
	if (open(my $lf, '>>', $log)) {
		print $lf "GET $path\n";
		close($lf);
	}
	(my $name = $path) =~ s{^/+}{};
	$name =~ s{[^A-Za-z0-9._-]}{_}g;
	my $f = "$root/$name";
	if (-e "$f.hang") {
		sleep 30;
		return;
	}
	if (-e "$f.redirect") {
		my $to = slurp("$f.redirect");
		chomp $to;
		print $c "HTTP/1.0 302 Found\r\nLocation: $to\r\n",
		    "Content-Length: 0\r\nConnection: close\r\n\r\n";
		return;
	}
	if (-e "$f.big") {
		answer($c, '200 OK', 'application/pkix-crl', "\x30\x84" .
		    ("A" x 1000), 200000000);
		return;
	}
	if (-e "$f.garbage") {
		answer($c, '200 OK', 'text/html', slurp("$f.garbage"));
		return;
	}
	my $d = -f $f ? slurp($f) : undef;
	if (!defined $d) {
		answer($c, '404 Not Found', 'text/plain', "not found\n");
		return;
	}
	answer($c, '200 OK', 'application/pkix-crl', $d);
}

while (1) {
	my $c = $srv->accept or next;
	my $pid = fork();
	if (defined $pid && $pid == 0) {
		close($srv);
		alarm(60);
		serve($c);
		close($c);
		exit(0);
	}
	close($c);
}
