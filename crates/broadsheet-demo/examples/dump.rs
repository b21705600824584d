//! Print a demo paper as text, for reading the generated content.
//!
//! `cargo run -p broadsheet-demo --example dump -- [seed] [stories] [--headlines]`

use broadsheet_demo::{BylineSeed, Demo, DemoSpec};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = args.first().and_then(|s| s.parse().ok()).unwrap_or(1);
    let stories = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let headlines_only = args.iter().any(|a| a == "--headlines");
    let with_comments = args.iter().any(|a| a == "--comments");
    if let Some(i) = args.iter().position(|a| a == "--pictures") {
        // Write a few pictures to a directory and print their words.
        let dir = args.get(i + 1).cloned().unwrap_or_else(|| ".".to_string());
        let demo = Demo::new(DemoSpec {
            seed,
            stories,
            now: 1_760_000_000,
        });
        for key in 0..demo.picture_count().min(12) {
            let p = demo.picture(key);
            let path = format!("{dir}/picture-{key}.jpg");
            if let Err(e) = std::fs::write(&path, &p.jpeg) {
                eprintln!("{path}: {e}");
            }
            // Also as PNG (decoded from the JPEG), for viewers without JPEG support.
            if let Ok(img) = image::load_from_memory(&p.jpeg) {
                let png = format!("{dir}/picture-{key}.png");
                if let Err(e) = img.save_with_format(&png, image::ImageFormat::Png) {
                    eprintln!("{png}: {e}");
                }
            }
            println!(
                "{key}: {} bytes\n  alt: {}\n  caption: {} ({})",
                p.jpeg.len(),
                p.alt,
                p.caption,
                p.credit
            );
        }
        return;
    }
    let demo = Demo::new(DemoSpec {
        seed,
        stories,
        now: 1_760_000_000,
    });
    for s in demo.stories() {
        if headlines_only {
            println!("{:>5} {:<10} {}", s.key, s.section, s.headline);
            continue;
        }
        let by = match &s.byline {
            BylineSeed::Staff(u) => u.join(" and "),
            BylineSeed::Agency(a) => a.clone(),
        };
        println!(
            "==== #{} [{}] {}{}",
            s.key,
            s.section,
            s.headline,
            if s.breaking { " (BREAKING)" } else { "" }
        );
        println!("{}", s.standfirst);
        println!(
            "By {by} | published {} | updated {:?} | {} | tags {:?} | lead {:?} | {} comments | {} views",
            s.published_at,
            s.updated_at,
            s.access,
            s.tags,
            s.lead_picture,
            demo.comments(&s).len(),
            demo.views(&s).len()
        );
        println!("\n{}\n", s.body);
        if with_comments {
            for c in demo.comments(&s) {
                println!("  [{}] {}: {}", c.created_at, c.author_name, c.body);
            }
            println!();
        }
    }
}
