// Command screenshots (re)generates the web UI screenshots of the docs: it
// runs the demo's whole scenario (internal/demo), then drives headless
// chromium against the demo's UI and writes PNGs. `make docs-screenshots`
// runs it from the repository root, after `make envtest`.
//
//	go run ./hack/tools/screenshots [-out docs/images] [-chromium PATH]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/railyard-dev/railyard/internal/demo"
)

// shot is one screenshot: the page, the element it waits for (the data
// has arrived), and the file.
type shot struct {
	path, ready, file string
}

var shots = []shot{
	{path: "/projects/demo", ready: `[data-stage="prod"] .alias`, file: "ui-pipeline.png"},
}

func main() {
	out := flag.String("out", filepath.Join("docs", "images"), "directory to write the PNGs to")
	chromium := flag.String("chromium", "", "chromium binary (default: chromium, chromium-browser or google-chrome on PATH)")
	verbose := flag.Bool("verbose", false, "print the demo's narration")
	flag.Parse()
	if err := run(*out, *chromium, *verbose); err != nil {
		_, _ = fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(out, chromium string, verbose bool) error {
	if chromium == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				chromium = p
				break
			}
		}
		if chromium == "" {
			return errors.New("no chromium on PATH (apt-get install -y chromium), or pass -chromium")
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	narration := io.Discard
	if verbose {
		narration = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return demo.Run(ctx, demo.Options{
		Out: narration, NonInteractive: true, ControlAddr: "127.0.0.1:0",
		AfterScenario: func(ctx context.Context, uiURL string) error { return capture(ctx, chromium, uiURL, out) },
	})
}

// capture takes every shot of the running demo's UI at uiURL.
func capture(ctx context.Context, chromium, uiURL, out string) error {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("hide-scrollbars", true), chromedp.WindowSize(1440, 640))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 2*time.Minute)
	defer cancelTimeout()
	for _, s := range shots {
		if err := chromedp.Do(bctx, chromedp.Navigate(uiURL+s.path), chromedp.WaitVisible(chromedp.CSS(s.ready))); err != nil {
			return fmt.Errorf("opening %s: %w", s.path, err)
		}
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
		if err != nil {
			return fmt.Errorf("capturing %s: %w", s.path, err)
		}
		file := filepath.Join(out, s.file)
		if err := os.WriteFile(file, png, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", file, err)
		}
		_, _ = fmt.Fprintf(os.Stderr, "wrote %s (%d KB)\n", file, len(png)/1024)
	}
	return nil
}
