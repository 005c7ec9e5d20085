package manager

import (
	"flag"
	"testing"
	"time"
)

func TestLeaseFlags(t *testing.T) {
	for _, tc := range []struct {
		args                  []string
		lease, renew, retries time.Duration
	}{
		{nil, 15 * time.Second, 10 * time.Second, 2 * time.Second},
		{[]string{"--leader-election-lease-duration=30s", "--leader-election-renew-deadline=20s", "--leader-election-retry-period=4s"},
			30 * time.Second, 20 * time.Second, 4 * time.Second},
	} {
		fs := flag.NewFlagSet("manager", flag.ContinueOnError)
		var opts Options
		BindFlags(fs, &opts)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if opts.LeaderElectionLeaseDuration != tc.lease || opts.LeaderElectionRenewDeadline != tc.renew || opts.LeaderElectionRetryPeriod != tc.retries {
			t.Errorf("%v: lease %v, renew %v, retry %v; want %v, %v, %v", tc.args, opts.LeaderElectionLeaseDuration,
				opts.LeaderElectionRenewDeadline, opts.LeaderElectionRetryPeriod, tc.lease, tc.renew, tc.retries)
		}
	}
	// Zero (Options built in code) means the defaults.
	if d := *orDefault(0, DefaultLeaseDuration); d != DefaultLeaseDuration {
		t.Errorf("orDefault(0) = %v", d)
	}
}
