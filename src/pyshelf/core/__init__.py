"""The pure core: filenames, the bucket layout, the page model and its rendering, archive
inspection, the facts cache, event parsing and the CDN's routing rules. No I/O, no AWS, no CLI."""
