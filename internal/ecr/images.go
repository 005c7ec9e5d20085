package ecr

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// describePageSize is the largest page DescribeImages allows.
const describePageSize = 1000

// Image is one tagged image (manifest or index) of a repository as ECR
// describes it.
type Image struct {
	Digest            string
	Tags              []string
	PushedAt          time.Time
	ManifestMediaType string
	ArtifactMediaType string
	SizeBytes         int64
}

// ImageList is the result of ListImages.
type ImageList struct {
	Images []Image
	// Calls is the number of DescribeImages requests made (ceil(n/1000)),
	// for metrics and benchmarks.
	Calls int
	// Truncated is set when the repository holds more than
	// Options.MaxImages tagged images and the listing stopped there.
	Truncated bool
}

// ListImages describes every tagged image of the repository in repoURL with
// DescribeImages, 1,000 images per call, following nextToken. Untagged images
// (for example the per-platform manifests of an index) and archived images
// are left out. It needs ecr:DescribeImages on the repository.
func (p *TokenProvider) ListImages(ctx context.Context, repoURL string, creds Credentials) (ImageList, error) {
	reg, ok := parseRepoURL(repoURL)
	if !ok || reg.repository == "" {
		return ImageList{}, notECR(repoURL)
	}
	target := reg.host + "/" + reg.repository
	c, err := p.client(ctx, reg, creds)
	if err != nil {
		return ImageList{}, err
	}
	pages := ecr.NewDescribeImagesPaginator(c, &ecr.DescribeImagesInput{
		RegistryId:     aws.String(reg.account), // needed for cross-account access
		RepositoryName: aws.String(reg.repository),
		MaxResults:     aws.Int32(describePageSize),
		Filter:         &types.DescribeImagesFilter{TagStatus: types.TagStatusTagged},
	})
	var list ImageList
	for pages.HasMorePages() {
		if len(list.Images) >= p.opts.MaxImages {
			list.Truncated = true
			break
		}
		out, err := pages.NextPage(ctx)
		list.Calls++
		if err != nil {
			return ImageList{}, classify("DescribeImages", target, creds, err)
		}
		for _, d := range out.ImageDetails {
			if len(d.ImageTags) == 0 || d.ImageStatus == types.ImageStatusArchived {
				continue
			}
			list.Images = append(list.Images, Image{
				Digest:            aws.ToString(d.ImageDigest),
				Tags:              d.ImageTags,
				PushedAt:          aws.ToTime(d.ImagePushedAt),
				ManifestMediaType: aws.ToString(d.ImageManifestMediaType),
				ArtifactMediaType: aws.ToString(d.ArtifactMediaType),
				SizeBytes:         aws.ToInt64(d.ImageSizeInBytes),
			})
		}
	}
	return list, nil
}

// PushTimes returns when each tag's current image was pushed, keyed by tag:
// the build-time source of the NewestBuild strategy on private ECR, without
// fetching any manifest or config. It is ListImages flattened; use ListImages
// to learn digests or whether the listing was truncated.
func (p *TokenProvider) PushTimes(ctx context.Context, repoURL string, creds Credentials) (map[string]time.Time, error) {
	list, err := p.ListImages(ctx, repoURL, creds)
	if err != nil {
		return nil, err
	}
	times := make(map[string]time.Time, len(list.Images))
	for _, img := range list.Images {
		if img.PushedAt.IsZero() {
			continue
		}
		for _, tag := range img.Tags {
			times[tag] = img.PushedAt
		}
	}
	return times, nil
}
