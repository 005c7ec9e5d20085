package ecr

import "testing"

func TestParseRepoURL(t *testing.T) {
	tests := []struct {
		in                    string
		account, region, repo string
		ok                    bool
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "123456789012", "us-east-1", "app", true},
		{"123456789012.dkr.ecr.eu-central-2.amazonaws.com/team/app-x_1.v2", "123456789012", "eu-central-2", "team/app-x_1.v2", true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app", "123456789012", "cn-north-1", "app", true},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app", "123456789012", "us-gov-west-1", "app", true},
		{"123456789012.dkr-ecr.ap-southeast-2.on.aws/app", "123456789012", "ap-southeast-2", "app", true},
		{"123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov/app", "123456789012", "us-iso-east-1", "app", true},
		{"oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/app", "123456789012", "us-west-2", "charts/app", true},
		{"https://123456789012.DKR.ECR.us-west-2.amazonaws.com/app/", "123456789012", "us-west-2", "app", true},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012", "us-east-1", "", true},

		{"public.ecr.aws/docker/library/nginx", "", "", "", false}, // anonymous token flow, not private ECR
		{"public.ecr.aws", "", "", "", false},
		{"ghcr.io/org/app", "", "", "", false},
		{"12345.dkr.ecr.us-east-1.amazonaws.com/app", "", "", "", false},            // account must have 12 digits
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app", "", "", "", false}, // no ports
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io/app", "", "", "", false},
		{"123456789012.dkr.ecr.useast1.amazonaws.com/app", "", "", "", false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/App", "", "", "", false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1", "", "", "", false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc", "", "", "", false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com//app", "", "", "", false},
		{"", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			account, region, repo, ok := ParseRepoURL(tt.in)
			if ok != tt.ok || account != tt.account || region != tt.region || repo != tt.repo {
				t.Errorf("ParseRepoURL(%q) = %q, %q, %q, %v; want %q, %q, %q, %v",
					tt.in, account, region, repo, ok, tt.account, tt.region, tt.repo, tt.ok)
			}
		})
	}
}

func TestParseRepoURLEndpointVariants(t *testing.T) {
	tests := []struct {
		in              string
		fips, dualStack bool
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app", false, false},
		{"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app", true, false},
		{"123456789012.dkr-ecr.us-east-1.on.aws/app", false, true},
		{"123456789012.dkr-ecr-fips.us-east-1.on.aws/app", true, true},
	}
	for _, tt := range tests {
		r, ok := parseRepoURL(tt.in)
		if !ok || r.fips != tt.fips || r.dualStack != tt.dualStack {
			t.Errorf("parseRepoURL(%q) = %+v, %v; want fips=%v dualStack=%v", tt.in, r, ok, tt.fips, tt.dualStack)
		}
	}
}
