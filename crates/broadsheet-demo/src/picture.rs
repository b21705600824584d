//! Demo pictures: small pixel-art landscapes drawn in code.
//!
//! Each picture is drawn on a 320×180 canvas of chunky "pixels" (scaled
//! three times to 960×540): a banded sky, the sun or moon, clouds, hills
//! or sea, and a scene — a town, a coast with a lighthouse, countryside,
//! a city skyline, a harbour or a football ground. The alt text and
//! caption are written from the same choices, so they describe what is
//! actually drawn.

use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;

use crate::PictureSeed;
use crate::names::{AGENCIES, FIRST_F, FIRST_M, SURNAMES};
use crate::rng::{Rng, stream};

pub(crate) const WIDTH: u32 = 960;
pub(crate) const HEIGHT: u32 = 540;
const SCALE: usize = 3;
const W: usize = WIDTH as usize / SCALE;
const H: usize = HEIGHT as usize / SCALE;

type Rgb = [u8; 3];

/// What a picture shows. Each story topic has its scene (see
/// [`scene_for_topic`]); the alt text and caption say what is drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Town,
    Coast,
    Countryside,
    City,
    Harbour,
    Ground,
    /// A stone building with columns and a flag (council, court, parliament, bank).
    Civic,
    /// Open moorland with a path and a mountain rescue team.
    Moor,
    /// A railway platform with a train.
    Station,
    /// A double-decker bus at a stop on a terraced street.
    Bus,
    /// A hospital block with an ambulance.
    Hospital,
    /// A single-storey school with a playground.
    School,
    /// A building on fire, with a fire engine.
    Fire,
    /// Trees burning on a hillside.
    Wildfire,
    /// A road closed with cones and a barrier.
    Roadworks,
    /// Electricity pylons across fields.
    Pylons,
    /// A street under floodwater in the rain.
    Flood,
    /// Wind turbines on hills.
    Turbines,
    /// A row of shops with awnings.
    Shops,
    /// A cricket ground with a pavilion.
    Cricket,
    /// A rugby pitch with H-shaped posts.
    Rugby,
    /// An athletics track.
    Track,
    /// A laid restaurant table.
    Table,
    /// A detached house with a front garden.
    House,
    /// A garden with flower beds and a greenhouse.
    Garden,
    /// Protesters with placards before a public building.
    Crowd,
    /// A rocket on its launch pad.
    Rocket,
    /// A park with trees, a pond and a bench.
    Park,
    /// A whitewashed distillery with a pagoda roof below hills.
    Distillery,
}

/// The scene drawn for a story topic (`Topic::id`).
pub(crate) fn scene_for_topic(id: &str) -> Kind {
    match id {
        "council-budget" | "court" | "holyrood" | "central-bank" | "summit" | "election"
        | "op-services" | "university" => Kind::Civic,
        "rescue" | "walk" => Kind::Moor,
        "rail" => Kind::Station,
        "bus-routes" => Kind::Bus,
        "hospital" => Kind::Hospital,
        "school" | "rural-school" | "op-phones" => Kind::School,
        "fire" => Kind::Fire,
        "wildfire" => Kind::Wildfire,
        "road-closure" => Kind::Roadworks,
        "outage" => Kind::Pylons,
        "weather" | "disaster" => Kind::Flood,
        "wind-farm" => Kind::Turbines,
        "high-street" | "op-high-street" | "op-local-news" | "jobs" | "startup" => Kind::Shops,
        "results" | "takeover" | "markets" | "property" => Kind::City,
        "ferry" | "fishing" => Kind::Harbour,
        "cricket" => Kind::Cricket,
        "rugby-league" => Kind::Rugby,
        "athletics" => Kind::Track,
        "restaurant-review" | "recipe" => Kind::Table,
        "home-of-the-week" | "housing" | "op-housing" => Kind::House,
        "garden" => Kind::Garden,
        "protest" => Kind::Crowd,
        "space" => Kind::Rocket,
        "op-parks" | "community" | "op-cycling" => Kind::Park,
        "distillery" => Kind::Distillery,
        "weekend-break" => Kind::Coast,
        "match-win" | "match-draw" | "preview" | "transfer" | "manager" => Kind::Ground,
        _ => Kind::Town,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Time {
    Dawn,
    Morning,
    Midday,
    Evening,
    Dusk,
    Night,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Weather {
    Clear,
    Cloudy,
    Overcast,
}

struct Canvas {
    px: Vec<Rgb>,
}

impl Canvas {
    fn new() -> Canvas {
        Canvas {
            px: vec![[0, 0, 0]; W * H],
        }
    }

    fn set(&mut self, x: i32, y: i32, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < W && (y as usize) < H {
            self.px[y as usize * W + x as usize] = c;
        }
    }

    fn rect(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, c: Rgb) {
        let (x0, x1) = (x0.max(0), x1.min(W as i32));
        let (y0, y1) = (y0.max(0), y1.min(H as i32));
        for y in y0..y1 {
            let row = y as usize * W;
            for x in x0..x1 {
                self.px[row + x as usize] = c;
            }
        }
    }

    fn disc(&mut self, cx: i32, cy: i32, rad: i32, c: Rgb) {
        for y in (cy - rad)..=(cy + rad) {
            for x in (cx - rad)..=(cx + rad) {
                let (dx, dy) = (x - cx, y - cy);
                if dx * dx + dy * dy < rad * rad {
                    self.set(x, y, c);
                }
            }
        }
    }

    fn ellipse(&mut self, cx: i32, cy: i32, rx: i32, ry: i32, c: Rgb) {
        let (rx, ry) = (rx.max(1), ry.max(1));
        for y in (cy - ry)..=(cy + ry) {
            for x in (cx - rx)..=(cx + rx) {
                let dx = (x - cx) as f32 / rx as f32;
                let dy = (y - cy) as f32 / ry as f32;
                if dx * dx + dy * dy <= 1.0 {
                    self.set(x, y, c);
                }
            }
        }
    }

    /// A triangle with a horizontal base from (x0, base) to (x1, base) and apex at (ax, ay).
    fn roof(&mut self, x0: i32, x1: i32, base: i32, ax: i32, ay: i32, c: Rgb) {
        let h = (base - ay).max(1);
        for y in ay..=base {
            let t = (y - ay) as f32 / h as f32;
            let l = ax as f32 + (x0 - ax) as f32 * t;
            let r = ax as f32 + (x1 - ax) as f32 * t;
            for x in l.round() as i32..=r.round() as i32 {
                self.set(x, y, c);
            }
        }
    }

    fn to_image(&self) -> Option<RgbImage> {
        let mut raw = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        let out_w = W * SCALE;
        for y in 0..H {
            for x in 0..W {
                let c = self.px[y * W + x];
                for sy in 0..SCALE {
                    let row = (y * SCALE + sy) * out_w;
                    for sx in 0..SCALE {
                        let i = (row + x * SCALE + sx) * 3;
                        raw[i..i + 3].copy_from_slice(&c);
                    }
                }
            }
        }
        RgbImage::from_raw(WIDTH, HEIGHT, raw)
    }
}

fn lerp(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    [
        (a[0] as f32 + (b[0] as f32 - a[0] as f32) * t) as u8,
        (a[1] as f32 + (b[1] as f32 - a[1] as f32) * t) as u8,
        (a[2] as f32 + (b[2] as f32 - a[2] as f32) * t) as u8,
    ]
}

fn shade(c: Rgb, f: f32) -> Rgb {
    [
        (c[0] as f32 * f).min(255.0) as u8,
        (c[1] as f32 * f).min(255.0) as u8,
        (c[2] as f32 * f).min(255.0) as u8,
    ]
}

fn jitter(r: &mut Rng, c: Rgb, amount: i32) -> Rgb {
    let mut j =
        |v: u8| (v as i32 + r.range(-(amount as i64), amount as i64) as i32).clamp(0, 255) as u8;
    [j(c[0]), j(c[1]), j(c[2])]
}

/// (top, horizon) sky colours.
fn sky_colours(time: Time, weather: Weather) -> (Rgb, Rgb) {
    let (top, bottom) = match time {
        Time::Dawn => ([92, 104, 160], [246, 176, 160]),
        Time::Morning => ([90, 150, 220], [200, 226, 240]),
        Time::Midday => ([50, 120, 210], [170, 210, 245]),
        Time::Evening => ([70, 80, 150], [250, 150, 70]),
        Time::Dusk => ([40, 30, 80], [180, 90, 130]),
        Time::Night => ([8, 12, 34], [30, 40, 80]),
    };
    if weather == Weather::Overcast {
        let grey_t = [120, 124, 132];
        let grey_b = [176, 178, 184];
        let k: f32 = if time == Time::Night { 0.3 } else { 1.0 };
        return (
            shade(lerp(top, grey_t, 0.75), k.max(0.35)),
            shade(lerp(bottom, grey_b, 0.7), k.max(0.45)),
        );
    }
    (top, bottom)
}

/// Brightness of the land for a time of day.
fn light(time: Time, weather: Weather) -> f32 {
    let base = match time {
        Time::Dawn => 0.8,
        Time::Morning | Time::Midday => 1.0,
        Time::Evening => 0.85,
        Time::Dusk => 0.55,
        Time::Night => 0.3,
    };
    if weather == Weather::Overcast {
        base * 0.85
    } else {
        base
    }
}

struct Scene {
    kind: Kind,
    time: Time,
    weather: Weather,
    /// Whether the sun or moon is visible.
    orb: bool,
}

fn draw(r: &mut Rng, s: &Scene) -> Canvas {
    let mut cv = Canvas::new();
    let horizon = r.range(95, 120) as i32;
    let (top, bottom) = sky_colours(s.time, s.weather);
    let top = jitter(r, top, 12);
    let bottom = jitter(r, bottom, 12);
    // Banded sky gradient (pixel-art style, 14 bands).
    for y in 0..horizon {
        let t = y as f32 / horizon as f32;
        let band = (t * 14.0).floor() / 14.0;
        let c = lerp(top, bottom, band);
        cv.rect(0, y, W as i32, y + 1, c);
    }
    let lt = light(s.time, s.weather);
    // Stars.
    if s.time == Time::Night && s.weather != Weather::Overcast {
        for _ in 0..70 {
            let x = r.range(0, W as i64 - 1) as i32;
            let y = r.range(0, horizon as i64 - 20) as i32;
            cv.set(x, y, [230, 230, 200]);
        }
    }
    // Sun or moon.
    if s.orb {
        let (c, rad, y) = match s.time {
            Time::Night => ([240, 236, 210], 9, r.range(18, 45) as i32),
            Time::Dusk => ([250, 200, 150], 11, horizon - 12),
            Time::Evening => ([255, 190, 90], 14, horizon - r.range(14, 30) as i32),
            Time::Dawn => ([255, 210, 170], 13, horizon - r.range(8, 22) as i32),
            _ => ([255, 244, 190], 12, r.range(18, 40) as i32),
        };
        let x = r.range(30, W as i64 - 30) as i32;
        cv.disc(x, y, rad, c);
        if s.time == Time::Night {
            // Crescent: bite out of the moon with the sky colour.
            let sky = lerp(top, bottom, y as f32 / horizon as f32);
            cv.disc(x + 4, y - 2, rad - 1, sky);
        }
    }
    // Clouds.
    let clouds = match s.weather {
        Weather::Clear => r.range(0, 1),
        Weather::Cloudy => r.range(3, 6),
        Weather::Overcast => r.range(6, 10),
    };
    let cloud_c = shade(
        if s.weather == Weather::Overcast {
            [150, 152, 160]
        } else {
            [245, 245, 250]
        },
        if s.time == Time::Night {
            0.35
        } else {
            lt.max(0.6)
        },
    );
    for _ in 0..clouds {
        let cx = r.range(0, W as i64) as i32;
        let cy = r.range(10, (horizon - 30).max(12) as i64) as i32;
        let w = r.range(16, 40) as i32;
        for i in 0..4 {
            let dx = (i - 2) * w / 3;
            cv.ellipse(cx + dx, cy - (i % 2) * 3, w / 2, 6 + (i % 2) * 3, cloud_c);
        }
    }
    // Hills behind.
    let hill_far = shade(jitter(r, [110, 140, 110], 15), lt * 0.8);
    let hill_near = shade(jitter(r, [70, 130, 60], 15), lt);
    let (p1, p2) = (
        r.float(0.0, std::f64::consts::TAU),
        r.float(0.0, std::f64::consts::TAU),
    );
    let (a1, a2) = (r.float(6.0, 18.0), r.float(3.0, 8.0));
    let sea_kind = matches!(s.kind, Kind::Coast | Kind::Harbour);
    for x in 0..W as i32 {
        let xf = x as f64 / W as f64;
        let h = (a1 * (xf * 6.0 + p1).sin() + a2 * (xf * 17.0 + p2).sin()) as i32;
        let top_y = horizon - 18 + h;
        if sea_kind {
            // Distant headland on one side only.
            if xf < 0.35 {
                let fall = ((0.35 - xf) / 0.35 * 30.0) as i32;
                cv.rect(x, horizon - fall + h / 3, x + 1, horizon, hill_far);
            }
        } else {
            cv.rect(x, top_y, x + 1, horizon, hill_far);
        }
    }
    // Ground or sea.
    if sea_kind {
        let sea_a = shade(jitter(r, [40, 90, 140], 12), lt);
        let sea_b = shade(jitter(r, [20, 60, 110], 12), lt);
        for y in horizon..H as i32 {
            let t = (y - horizon) as f32 / (H as i32 - horizon) as f32;
            cv.rect(
                0,
                y,
                W as i32,
                y + 1,
                lerp(sea_a, sea_b, (t * 6.0).floor() / 6.0),
            );
        }
        let foam = shade([220, 230, 240], lt);
        for _ in 0..120 {
            let x = r.range(0, W as i64 - 6) as i32;
            let y = r.range(horizon as i64 + 2, H as i64 - 1) as i32;
            cv.rect(x, y, x + r.range(2, 6) as i32, y + 1, foam);
        }
    } else {
        for x in 0..W as i32 {
            let xf = x as f64 / W as f64;
            let h = (4.0 * (xf * 9.0 + p2).sin()) as i32;
            cv.rect(x, horizon - 4 + h, x + 1, H as i32, hill_near);
        }
    }
    let lit = matches!(s.time, Time::Dusk | Time::Night);
    let window_lit = [255, 214, 110];
    let window_dark = shade([60, 80, 110], lt.max(0.5));
    match s.kind {
        Kind::Town => {
            let stone = jitter(r, [170, 150, 120], 20);
            let roof_c = jitter(r, [110, 60, 50], 20);
            let base = H as i32 - 30;
            let mut x = -5;
            while x < W as i32 {
                let w = r.range(18, 34) as i32;
                let h = r.range(22, 48) as i32;
                let wall = shade(jitter(r, stone, 12), lt);
                cv.rect(x, base - h, x + w, H as i32, wall);
                cv.roof(
                    x - 2,
                    x + w + 2,
                    base - h,
                    x + w / 2,
                    base - h - r.range(8, 14) as i32,
                    shade(roof_c, lt),
                );
                cv.rect(
                    x + w - 6,
                    base - h - 12,
                    x + w - 3,
                    base - h - 2,
                    shade(stone, lt * 0.8),
                );
                let mut wy = base - h + 6;
                while wy < H as i32 - 12 {
                    let mut wx = x + 4;
                    while wx < x + w - 5 {
                        let on = lit && r.chance(0.6);
                        cv.rect(
                            wx,
                            wy,
                            wx + 4,
                            wy + 5,
                            if on { window_lit } else { window_dark },
                        );
                        wx += 9;
                    }
                    wy += 12;
                }
                x += w + 1;
            }
            cv.rect(
                0,
                H as i32 - 10,
                W as i32,
                H as i32,
                shade([90, 90, 95], lt),
            );
        }
        Kind::City => {
            let base = H as i32 - 12;
            let mut x = 0;
            while x < W as i32 {
                let w = r.range(20, 42) as i32;
                let h = r.range(40, 120) as i32;
                let c = shade(jitter(r, [120, 126, 140], 25), lt);
                cv.rect(x, base - h, x + w - 2, H as i32, c);
                let mut wy = base - h + 4;
                while wy < base {
                    let mut wx = x + 3;
                    while wx < x + w - 6 {
                        let on = lit && r.chance(0.5);
                        cv.rect(
                            wx,
                            wy,
                            wx + 3,
                            wy + 3,
                            if on { window_lit } else { window_dark },
                        );
                        wx += 6;
                    }
                    wy += 7;
                }
                x += w;
            }
            // A crane.
            let cx = r.range(40, W as i64 - 80) as i32;
            let crane = shade([230, 180, 40], lt);
            cv.rect(cx, 30, cx + 3, base, crane);
            cv.rect(cx - 20, 30, cx + 60, 33, crane);
            cv.rect(cx + 45, 33, cx + 46, 60, shade([40, 40, 40], lt));
            cv.rect(0, base, W as i32, H as i32, shade([70, 70, 75], lt));
        }
        Kind::Countryside => {
            let field = shade(jitter(r, [120, 170, 70], 15), lt);
            let field2 = shade(jitter(r, [170, 160, 80], 15), lt);
            for i in 0..6 {
                let y0 = horizon + 4 + i * 12;
                cv.rect(
                    0,
                    y0,
                    W as i32,
                    y0 + 6,
                    if i % 2 == 0 { field } else { field2 },
                );
            }
            // Farmhouse.
            let fx = r.range(40, W as i64 - 80) as i32;
            let fy = horizon + 20;
            cv.rect(fx, fy, fx + 36, fy + 20, shade([220, 215, 200], lt));
            cv.roof(
                fx - 3,
                fx + 39,
                fy,
                fx + 18,
                fy - 12,
                shade([90, 70, 60], lt),
            );
            cv.rect(fx + 15, fy + 10, fx + 21, fy + 20, shade([80, 50, 30], lt));
            cv.rect(
                fx + 5,
                fy + 5,
                fx + 10,
                fy + 10,
                if lit { window_lit } else { window_dark },
            );
            // Trees.
            for _ in 0..r.range(5, 10) {
                let tx = r.range(0, W as i64) as i32;
                let ty = r.range(horizon as i64 + 10, H as i64 - 10) as i32;
                cv.rect(tx - 1, ty, tx + 2, ty + 10, shade([90, 60, 30], lt));
                cv.disc(
                    tx,
                    ty - 4,
                    r.range(6, 10) as i32,
                    shade(jitter(r, [40, 100, 40], 15), lt),
                );
            }
        }
        Kind::Coast => {
            // Cliff and lighthouse on the right.
            let cliff = shade(jitter(r, [120, 110, 90], 12), lt);
            let grass = shade([80, 140, 60], lt);
            let cx0 = W as i32 - r.range(90, 130) as i32;
            let top_y = horizon - 10;
            cv.rect(cx0, top_y, W as i32, H as i32, cliff);
            cv.rect(cx0, top_y - 4, W as i32, top_y, grass);
            let lx = cx0 + 30;
            let red = shade([200, 40, 40], lt);
            let white = shade([240, 240, 240], lt);
            for i in 0..6 {
                let y0 = top_y - 60 + i * 10;
                cv.rect(
                    lx,
                    y0,
                    lx + 12,
                    y0 + 10,
                    if i % 2 == 0 { red } else { white },
                );
            }
            cv.rect(
                lx - 2,
                top_y - 68,
                lx + 14,
                top_y - 60,
                shade([50, 50, 50], lt),
            );
            cv.rect(
                lx + 2,
                top_y - 66,
                lx + 10,
                top_y - 62,
                if lit {
                    [255, 240, 150]
                } else {
                    [200, 220, 230]
                },
            );
            if lit {
                cv.rect(lx - 30, top_y - 65, lx - 2, top_y - 63, [230, 215, 140]);
            }
            // A small sailing boat.
            let bx = r.range(20, (cx0 - 60).max(30) as i64) as i32;
            let by = horizon + 25;
            cv.rect(bx, by, bx + 24, by + 5, shade([120, 60, 40], lt));
            cv.rect(bx + 11, by - 22, bx + 12, by, shade([50, 40, 30], lt));
            cv.roof(
                bx + 12,
                bx + 24,
                by - 1,
                bx + 12,
                by - 20,
                shade([250, 250, 245], lt),
            );
        }
        Kind::Harbour => {
            let quay = shade(jitter(r, [150, 140, 120], 10), lt);
            let qy = horizon + 30;
            cv.rect(0, qy, W as i32, qy + 8, quay);
            // Buildings along the quay.
            let mut x = 0;
            while x < W as i32 {
                let w = r.range(16, 28) as i32;
                let h = r.range(18, 34) as i32;
                let base_c = *r.pick(&[
                    [230, 220, 200],
                    [180, 200, 220],
                    [220, 190, 170],
                    [200, 210, 180],
                ]);
                let col = shade(jitter(r, base_c, 10), lt);
                cv.rect(x, qy - h, x + w - 1, qy, col);
                cv.roof(
                    x - 1,
                    x + w,
                    qy - h,
                    x + w / 2,
                    qy - h - 7,
                    shade([80, 70, 70], lt),
                );
                cv.rect(
                    x + 4,
                    qy - h + 6,
                    x + 8,
                    qy - h + 11,
                    if lit && r.chance(0.6) {
                        window_lit
                    } else {
                        window_dark
                    },
                );
                x += w;
            }
            // Boats in the water.
            for _ in 0..r.range(3, 6) {
                let bx = r.range(0, W as i64 - 40) as i32;
                let by = r.range(qy as i64 + 18, H as i64 - 10) as i32;
                let base_c =
                    *r.pick(&[[200, 50, 40], [40, 80, 160], [230, 230, 230], [40, 120, 80]]);
                let hull = shade(jitter(r, base_c, 15), lt);
                cv.rect(bx, by, bx + 30, by + 6, hull);
                cv.rect(bx + 2, by + 6, bx + 28, by + 8, shade(hull, 0.7));
                cv.rect(bx + 8, by - 8, bx + 18, by, shade([240, 240, 240], lt));
                cv.rect(bx + 20, by - 18, bx + 21, by, shade([60, 50, 40], lt));
            }
        }
        Kind::Ground => {
            // Pitch with mowing stripes, stands and floodlights.
            let g1 = shade([60, 150, 60], lt.max(if lit { 0.8 } else { 0.0 }));
            let g2 = shade([80, 170, 70], lt.max(if lit { 0.8 } else { 0.0 }));
            let py = horizon + 28;
            for i in 0..((W as i32) / 20 + 1) {
                cv.rect(
                    i * 20,
                    py,
                    i * 20 + 20,
                    H as i32,
                    if i % 2 == 0 { g1 } else { g2 },
                );
            }
            let line = [235, 235, 235];
            cv.rect(10, py + 6, W as i32 - 10, py + 7, line);
            cv.rect(W as i32 / 2, py + 6, W as i32 / 2 + 1, H as i32, line);
            cv.ellipse(W as i32 / 2, py + 40, 24, 14, line);
            cv.ellipse(W as i32 / 2, py + 40, 23, 13, g1);
            // Goalmouth.
            cv.rect(10, py + 25, 11, py + 60, line);
            cv.rect(4, py + 30, 10, py + 31, line);
            // Stand.
            let stand = shade(jitter(r, [120, 30, 40], 20), lt);
            cv.rect(0, horizon - 10, W as i32, py, shade([150, 150, 155], lt));
            for row in 0..4 {
                let y0 = horizon - 6 + row * 8;
                cv.rect(0, y0, W as i32, y0 + 5, stand);
            }
            cv.rect(
                0,
                horizon - 18,
                W as i32,
                horizon - 10,
                shade([60, 60, 65], lt),
            );
            for fx in [30, W as i32 - 34] {
                cv.rect(fx, 15, fx + 3, horizon - 10, shade([90, 90, 95], lt));
                let head = if lit {
                    [255, 255, 220]
                } else {
                    shade([200, 200, 200], lt)
                };
                cv.rect(fx - 8, 8, fx + 11, 16, head);
            }
        }
        Kind::Civic | Kind::Crowd => {
            let stone = shade(jitter(r, [215, 205, 185], 10), lt);
            let cx = W as i32 / 2;
            let (bx0, bx1) = (cx - 90, cx + 90);
            let base = H as i32 - 24;
            let top = horizon - 42;
            cv.rect(0, base, W as i32, H as i32, shade([150, 150, 150], lt));
            cv.rect(bx0, top, bx1, base, shade(stone, 0.55));
            for i in 0..8 {
                let x = bx0 + 6 + i * 24;
                cv.rect(x, top + 8, x + 8, base - 6, stone);
            }
            cv.rect(bx0 - 6, top, bx1 + 6, top + 8, shade(stone, 0.9));
            cv.roof(bx0 - 8, bx1 + 8, top, cx, top - 24, shade(stone, 0.95));
            for k in 0..3 {
                cv.rect(
                    bx0 - 6 - k * 5,
                    base - 6 + k * 2,
                    bx1 + 6 + k * 5,
                    base - 4 + k * 2,
                    shade(stone, 0.8 + 0.05 * k as f32),
                );
            }
            cv.rect(cx - 1, top - 58, cx + 1, top - 24, shade([70, 70, 70], lt));
            let flag = *r.pick(&[[30, 60, 150], [180, 30, 40], [30, 120, 70]]);
            cv.rect(cx + 1, top - 58, cx + 27, top - 42, shade(flag, lt));
            if s.kind == Kind::Crowd {
                for i in 0..26 {
                    let x = 6 + i * 12 + r.range(-3, 3) as i32;
                    let y = H as i32 - 6 - r.range(0, 10) as i32;
                    let coat = *r.pick(&[
                        [200, 60, 50],
                        [40, 80, 160],
                        [60, 60, 60],
                        [220, 180, 40],
                        [60, 130, 70],
                    ]);
                    figure(&mut cv, x, y, shade(coat, lt));
                    if i % 3 == 0 {
                        cv.rect(x, y - 30, x + 1, y - 14, shade([120, 90, 60], lt));
                        cv.rect(x - 8, y - 38, x + 9, y - 28, shade([245, 245, 235], lt));
                        cv.rect(x - 6, y - 35, x + 7, y - 33, shade([200, 30, 30], lt));
                    }
                }
            }
        }
        Kind::Moor => {
            let heather = shade(jitter(r, [120, 80, 120], 12), lt);
            for _ in 0..40 {
                let x = r.range(0, W as i64) as i32;
                let y = r.range(horizon as i64 + 4, H as i64) as i32;
                cv.ellipse(x, y, r.range(6, 16) as i32, 3, heather);
            }
            let path = shade([170, 150, 110], lt);
            for y in horizon..H as i32 {
                let t = (y - horizon) as f32 / (H as i32 - horizon) as f32;
                let x = W as i32 / 2 + ((t * 5.0).sin() * 30.0) as i32;
                let w = 2 + (t * 10.0) as i32;
                cv.rect(x - w, y, x + w, y + 1, path);
            }
            // A cairn on the skyline.
            let kx = r.range(40, 120) as i32;
            for (k, w) in [(0, 10), (1, 8), (2, 5), (3, 3)] {
                cv.rect(
                    kx - w,
                    horizon - 16 - k * 3,
                    kx + w,
                    horizon - 13 - k * 3,
                    shade([130, 130, 125], lt),
                );
            }
            // The rescue team in red jackets, and their vehicle.
            let tx = r.range(180, 250) as i32;
            for i in 0..4 {
                figure(
                    &mut cv,
                    tx + i * 9,
                    H as i32 - 30 + (i % 2) * 3,
                    shade([210, 40, 30], lt),
                );
            }
            let vx = tx - 70;
            let vy = H as i32 - 40;
            cv.rect(vx, vy, vx + 40, vy + 14, shade([235, 235, 235], lt));
            cv.rect(vx + 2, vy + 6, vx + 38, vy + 9, shade([30, 120, 60], lt));
            cv.rect(vx + 16, vy - 3, vx + 24, vy, [40, 90, 230]);
            cv.disc(vx + 8, vy + 15, 4, [30, 30, 30]);
            cv.disc(vx + 32, vy + 15, 4, [30, 30, 30]);
        }
        Kind::Station => {
            let base = H as i32 - 36;
            cv.rect(0, base, W as i32, H as i32, shade([90, 85, 80], lt));
            for y in [base + 14, base + 24] {
                cv.rect(0, y, W as i32, y + 2, shade([170, 170, 175], lt));
            }
            let body = shade(*r.pick(&[[40, 90, 170], [190, 40, 40], [80, 60, 130]]), lt);
            let tx = r.range(-20, 40) as i32;
            cv.rect(tx, base - 34, tx + 240, base + 10, body);
            cv.rect(tx, base - 2, tx + 240, base + 2, shade([250, 200, 40], lt));
            let mut wx = tx + 10;
            while wx < tx + 230 {
                cv.rect(
                    wx,
                    base - 26,
                    wx + 14,
                    base - 14,
                    if lit {
                        window_lit
                    } else {
                        shade([170, 200, 220], lt)
                    },
                );
                wx += 20;
            }
            cv.roof(tx + 240, tx + 240, base + 10, tx + 240, base - 34, body);
            // The platform with its yellow edge and a canopy.
            cv.rect(0, base + 10, W as i32, H as i32, shade([150, 145, 140], lt));
            cv.rect(0, base + 10, W as i32, base + 12, [240, 200, 40]);
            cv.rect(200, 40, W as i32, 48, shade([60, 70, 80], lt));
            for px in [210, 260, 310] {
                cv.rect(px, 48, px + 3, base + 10, shade([60, 70, 80], lt));
            }
        }
        Kind::Bus | Kind::Shops | Kind::Fire | Kind::Flood => {
            let base = H as i32 - 26;
            terrace(&mut cv, r, lt, lit, base, s.kind == Kind::Shops);
            cv.rect(0, base, W as i32, H as i32, shade([80, 80, 85], lt));
            cv.rect(0, base, W as i32, base + 3, shade([160, 160, 160], lt));
            match s.kind {
                Kind::Bus => {
                    let bx = r.range(60, 180) as i32;
                    let red = shade([200, 30, 30], lt);
                    cv.rect(bx, base - 46, bx + 80, base + 6, red);
                    for row in [base - 40, base - 20] {
                        let mut wx = bx + 4;
                        while wx < bx + 76 {
                            cv.rect(
                                wx,
                                row,
                                wx + 12,
                                row + 10,
                                if lit {
                                    window_lit
                                } else {
                                    shade([150, 180, 200], lt)
                                },
                            );
                            wx += 15;
                        }
                    }
                    cv.disc(bx + 16, base + 7, 6, [25, 25, 25]);
                    cv.disc(bx + 64, base + 7, 6, [25, 25, 25]);
                    // The stop.
                    cv.rect(bx - 20, base - 40, bx - 18, base, shade([60, 60, 60], lt));
                    cv.disc(bx - 19, base - 42, 5, shade([230, 40, 40], lt));
                }
                Kind::Fire => {
                    let fx = r.range(80, 200) as i32;
                    flames(&mut cv, r, fx, base - 30, 40);
                    smoke(&mut cv, r, fx, base - 60, horizon);
                    let ex = fx + 60;
                    let red = shade([210, 25, 25], lt.max(0.7));
                    cv.rect(ex, base - 20, ex + 70, base + 6, red);
                    cv.rect(
                        ex + 4,
                        base - 26,
                        ex + 60,
                        base - 22,
                        shade([200, 200, 200], lt),
                    );
                    cv.rect(
                        ex + 56,
                        base - 16,
                        ex + 68,
                        base - 6,
                        shade([170, 200, 220], lt),
                    );
                    cv.rect(ex + 20, base - 22, ex + 26, base - 20, [60, 110, 255]);
                    cv.disc(ex + 14, base + 7, 6, [25, 25, 25]);
                    cv.disc(ex + 56, base + 7, 6, [25, 25, 25]);
                }
                Kind::Flood => {
                    let water = shade([110, 100, 80], lt);
                    cv.rect(0, base - 10, W as i32, H as i32, water);
                    for _ in 0..80 {
                        let x = r.range(0, W as i64 - 8) as i32;
                        let y = r.range(base as i64 - 8, H as i64) as i32;
                        cv.rect(x, y, x + 6, y + 1, shade([160, 150, 130], lt));
                    }
                    // Rain.
                    for _ in 0..500 {
                        let x = r.range(0, W as i64) as i32;
                        let y = r.range(0, H as i64 - 4) as i32;
                        cv.rect(x, y, x + 1, y + 4, shade([200, 210, 225], lt.max(0.5)));
                    }
                    // A car stranded to its windows.
                    let cx = r.range(40, 240) as i32;
                    cv.rect(cx, base - 22, cx + 40, base - 10, shade([40, 90, 160], lt));
                    cv.rect(
                        cx + 8,
                        base - 30,
                        cx + 32,
                        base - 22,
                        shade([170, 200, 220], lt),
                    );
                }
                _ => {}
            }
        }
        Kind::Hospital => {
            let base = H as i32 - 24;
            let wall = shade([225, 225, 220], lt);
            cv.rect(40, horizon - 50, 280, base, wall);
            let mut wy = horizon - 44;
            while wy < base - 20 {
                let mut wx = 48;
                while wx < 272 {
                    cv.rect(
                        wx,
                        wy,
                        wx + 10,
                        wy + 7,
                        if lit && r.chance(0.6) {
                            window_lit
                        } else {
                            shade([120, 160, 190], lt)
                        },
                    );
                    wx += 16;
                }
                wy += 14;
            }
            // The blue sign with a white H.
            let blue = [20, 80, 180];
            cv.rect(140, horizon - 70, 180, horizon - 52, blue);
            cv.rect(152, horizon - 67, 155, horizon - 55, [255, 255, 255]);
            cv.rect(165, horizon - 67, 168, horizon - 55, [255, 255, 255]);
            cv.rect(155, horizon - 62, 165, horizon - 60, [255, 255, 255]);
            cv.rect(130, base - 20, 190, base, shade([90, 120, 150], lt));
            cv.rect(0, base, W as i32, H as i32, shade([90, 90, 95], lt));
            // An ambulance: yellow and green checks.
            let ax = 200;
            cv.rect(
                ax,
                base - 24,
                ax + 60,
                base + 4,
                shade([245, 220, 40], lt.max(0.6)),
            );
            for k in 0..6 {
                cv.rect(
                    ax + k * 10,
                    base - 6,
                    ax + k * 10 + 5,
                    base - 1,
                    shade([30, 140, 60], lt),
                );
            }
            cv.rect(ax + 24, base - 28, ax + 34, base - 24, [60, 110, 255]);
            cv.disc(ax + 12, base + 5, 5, [25, 25, 25]);
            cv.disc(ax + 48, base + 5, 5, [25, 25, 25]);
        }
        Kind::School => {
            let base = H as i32 - 30;
            let brick = shade(jitter(r, [170, 90, 70], 12), lt);
            cv.rect(30, horizon - 26, 290, base, brick);
            cv.rect(26, horizon - 32, 294, horizon - 26, shade([70, 70, 75], lt));
            let mut wx = 40;
            while wx < 280 {
                cv.rect(
                    wx,
                    horizon - 18,
                    wx + 22,
                    horizon - 2,
                    if lit {
                        window_lit
                    } else {
                        shade([150, 190, 220], lt)
                    },
                );
                wx += 30;
            }
            cv.rect(150, base - 22, 170, base, shade([40, 70, 140], lt));
            cv.disc(160, horizon - 42, 8, shade([245, 245, 240], lt));
            cv.rect(159, horizon - 47, 161, horizon - 42, [30, 30, 30]);
            cv.rect(160, horizon - 43, 165, horizon - 41, [30, 30, 30]);
            cv.rect(0, base, W as i32, H as i32, shade([100, 100, 105], lt));
            // The playground: hopscotch and a fence.
            for k in 0..5 {
                let x = 60 + k * 12;
                cv.rect(x, base + 10, x + 10, base + 11, [240, 240, 100]);
                cv.rect(x, base + 10, x + 1, base + 20, [240, 240, 100]);
            }
            for x in (0..W as i32).step_by(6) {
                cv.rect(x, base - 14, x + 1, base, shade([40, 90, 50], lt));
            }
            cv.rect(0, base - 14, W as i32, base - 13, shade([40, 90, 50], lt));
        }
        Kind::Wildfire | Kind::Turbines | Kind::Pylons | Kind::Distillery => {
            match s.kind {
                Kind::Wildfire => {
                    for _ in 0..18 {
                        let tx = r.range(0, W as i64) as i32;
                        let ty = r.range(horizon as i64 + 6, H as i64 - 6) as i32;
                        cv.rect(tx - 1, ty, tx + 2, ty + 10, shade([60, 40, 20], lt));
                        cv.roof(tx - 8, tx + 8, ty + 2, tx, ty - 18, shade([30, 70, 40], lt));
                    }
                    for _ in 0..5 {
                        let fx = r.range(10, W as i64 - 10) as i32;
                        let fy = horizon + r.range(0, 30) as i32;
                        flames(&mut cv, r, fx, fy, 30);
                    }
                    smoke(&mut cv, r, W as i32 / 2, horizon - 20, horizon);
                }
                Kind::Turbines => {
                    for i in 0..5 {
                        let x = 30 + i * 62 + r.range(-8, 8) as i32;
                        let top = horizon - 70 + r.range(0, 20) as i32;
                        let white = shade([240, 240, 240], lt);
                        cv.rect(x - 1, top, x + 2, horizon + 6, white);
                        cv.disc(x, top, 3, white);
                        let a = r.float(0.0, std::f64::consts::TAU);
                        for b in 0..3 {
                            let ang = a + f64::from(b) * std::f64::consts::TAU / 3.0;
                            for k in 0..26 {
                                let px = x + (ang.cos() * f64::from(k)) as i32;
                                let py = top + (ang.sin() * f64::from(k)) as i32;
                                cv.rect(px, py, px + 2, py + 2, white);
                            }
                        }
                    }
                }
                Kind::Pylons => {
                    let steel = shade([110, 110, 115], lt);
                    let xs = [50, 160, 270];
                    for &x in &xs {
                        let top = horizon - 60;
                        cv.roof(x - 14, x + 14, horizon + 10, x, top, steel);
                        cv.roof(
                            x - 10,
                            x + 10,
                            horizon + 8,
                            x,
                            top + 8,
                            shade([150, 170, 150], lt),
                        );
                        cv.rect(x - 20, top + 10, x + 21, top + 12, steel);
                        cv.rect(x - 16, top + 22, x + 17, top + 24, steel);
                    }
                    for y in [horizon - 49, horizon - 37] {
                        for x in 0..W as i32 {
                            let sag = ((x % 110) as f32 / 110.0 * std::f32::consts::PI).sin() * 6.0;
                            cv.set(x, y + sag as i32, [40, 40, 40]);
                        }
                    }
                }
                _ => {
                    let white = shade([238, 236, 228], lt);
                    cv.rect(60, horizon - 24, 250, horizon + 20, white);
                    cv.roof(
                        56,
                        254,
                        horizon - 24,
                        155,
                        horizon - 40,
                        shade([70, 70, 75], lt),
                    );
                    // The pagoda roof of the old kiln.
                    cv.rect(200, horizon - 60, 230, horizon - 24, white);
                    cv.roof(
                        194,
                        236,
                        horizon - 60,
                        215,
                        horizon - 80,
                        shade([60, 60, 65], lt),
                    );
                    let mut wx = 70;
                    while wx < 190 {
                        cv.rect(
                            wx,
                            horizon - 10,
                            wx + 8,
                            horizon,
                            if lit { window_lit } else { window_dark },
                        );
                        wx += 20;
                    }
                    for i in 0..6 {
                        let x = 30 + i * 16;
                        cv.rect(
                            x,
                            H as i32 - 24,
                            x + 12,
                            H as i32 - 12,
                            shade([130, 90, 50], lt),
                        );
                    }
                }
            }
        }
        Kind::Roadworks => {
            let road = shade([70, 70, 75], lt);
            cv.roof(0, W as i32, H as i32, W as i32 / 2, horizon, road);
            cv.rect(
                W as i32 / 2 - 1,
                horizon + 20,
                W as i32 / 2 + 1,
                H as i32,
                [240, 240, 240],
            );
            // Cones and a red and white barrier across the road.
            for i in 0..7 {
                let x = 90 + i * 22;
                let y = H as i32 - 30 - (i % 2) * 6;
                cv.roof(x - 5, x + 5, y, x, y - 14, [245, 110, 20]);
                cv.rect(x - 3, y - 8, x + 3, y - 6, [240, 240, 240]);
            }
            let by = H as i32 - 58;
            for k in 0..12 {
                let x = 90 + k * 12;
                cv.rect(
                    x,
                    by,
                    x + 12,
                    by + 6,
                    if k % 2 == 0 {
                        [220, 30, 30]
                    } else {
                        [245, 245, 245]
                    },
                );
            }
            cv.rect(92, by + 6, 95, by + 24, shade([60, 60, 60], lt));
            cv.rect(224, by + 6, 227, by + 24, shade([60, 60, 60], lt));
            // A blue diversion sign.
            cv.rect(40, by - 10, 76, by + 10, [20, 70, 170]);
            cv.rect(48, by - 1, 66, by + 1, [255, 255, 255]);
            cv.roof(66, 66, by + 6, 72, by, [255, 255, 255]);
            cv.rect(57, by + 10, 59, H as i32 - 20, shade([90, 90, 90], lt));
        }
        Kind::Cricket | Kind::Rugby | Kind::Track => {
            let g1 = shade([70, 155, 65], lt);
            let py = horizon + 10;
            cv.rect(0, py, W as i32, H as i32, g1);
            match s.kind {
                Kind::Cricket => {
                    cv.rect(140, py + 20, 180, H as i32 - 10, shade([200, 185, 130], lt));
                    for x in [156, 160, 164] {
                        cv.rect(x, py + 22, x + 1, py + 30, [240, 240, 230]);
                    }
                    // The pavilion with its white balcony.
                    cv.rect(230, horizon - 30, 310, py, shade([240, 235, 220], lt));
                    cv.roof(
                        226,
                        314,
                        horizon - 30,
                        270,
                        horizon - 46,
                        shade([40, 90, 60], lt),
                    );
                    cv.rect(
                        230,
                        horizon - 14,
                        310,
                        horizon - 11,
                        shade([200, 200, 200], lt),
                    );
                    cv.rect(20, py - 24, 60, py, shade([250, 250, 250], lt));
                    for i in 0..4 {
                        figure(
                            &mut cv,
                            90 + i * 40,
                            H as i32 - 20 - (i % 2) * 20,
                            shade([245, 245, 240], lt),
                        );
                    }
                }
                Kind::Rugby => {
                    for i in 0..8 {
                        let y = py + 8 + i * 9;
                        cv.rect(0, y, W as i32, y + 1, [235, 235, 235]);
                    }
                    let px = W as i32 / 2;
                    cv.rect(px - 20, horizon - 50, px - 17, py + 10, [240, 240, 240]);
                    cv.rect(px + 17, horizon - 50, px + 20, py + 10, [240, 240, 240]);
                    cv.rect(px - 20, py - 14, px + 20, py - 11, [240, 240, 240]);
                    cv.ellipse(px + 60, H as i32 - 20, 6, 4, shade([150, 90, 40], lt));
                }
                _ => {
                    let red = shade([190, 80, 60], lt);
                    cv.rect(0, py + 14, W as i32, H as i32, red);
                    for i in 0..6 {
                        let y = py + 20 + i * 8;
                        cv.rect(0, y, W as i32, y + 1, [240, 240, 240]);
                    }
                    for i in 0..5 {
                        let x = 60 + i * 40 + r.range(-6, 6) as i32;
                        let coat =
                            *r.pick(&[[30, 60, 160], [230, 200, 30], [200, 40, 40], [30, 140, 70]]);
                        figure(&mut cv, x, py + 26 + i * 8, shade(coat, lt));
                    }
                }
            }
            // A stand behind.
            cv.rect(0, horizon - 8, 200, py, shade([120, 120, 130], lt));
            for row in 0..3 {
                let y = horizon - 6 + row * 5;
                cv.rect(0, y, 200, y + 3, shade(jitter(r, [40, 60, 130], 20), lt));
            }
        }
        Kind::Table => {
            // Indoors: a wall, a window on the chosen sky, and a laid table.
            let wall = shade(jitter(r, [200, 170, 130], 15), lt.max(0.75));
            cv.rect(0, 0, W as i32, H as i32, wall);
            cv.rect(100, 16, 220, 86, lerp(top, bottom, 0.5));
            cv.rect(158, 16, 162, 86, shade([90, 60, 40], 0.9));
            cv.rect(96, 12, 224, 16, shade([90, 60, 40], 0.9));
            cv.rect(96, 86, 224, 90, shade([90, 60, 40], 0.9));
            let cloth = [245, 245, 240];
            cv.rect(20, 110, 300, H as i32, cloth);
            for (x, food) in [(90, [190, 120, 60]), (230, [120, 160, 70])] {
                cv.ellipse(x, 135, 34, 14, [255, 255, 255]);
                cv.ellipse(x, 135, 30, 11, [225, 225, 225]);
                cv.ellipse(x, 133, 16, 7, food);
                cv.rect(x - 44, 125, x - 42, 150, [160, 160, 165]);
                cv.rect(x + 42, 125, x + 44, 150, [160, 160, 165]);
            }
            cv.rect(155, 100, 165, 128, [60, 20, 30]);
            cv.rect(158, 92, 162, 100, [60, 20, 30]);
            cv.rect(176, 116, 182, 130, [230, 230, 240]);
            cv.disc(160, 150, 5, [250, 210, 120]);
        }
        Kind::House | Kind::Garden => {
            let base = H as i32 - 40;
            let wall = shade(jitter(r, [200, 160, 120], 15), lt);
            let hx = if s.kind == Kind::House { 100 } else { 220 };
            cv.rect(hx, base - 60, hx + 120, base, wall);
            cv.roof(
                hx - 8,
                hx + 128,
                base - 60,
                hx + 60,
                base - 92,
                shade([90, 60, 50], lt),
            );
            cv.rect(hx + 52, base - 28, hx + 68, base, shade([40, 80, 60], lt));
            for (wx, wy) in [
                (hx + 14, base - 50),
                (hx + 86, base - 50),
                (hx + 14, base - 24),
                (hx + 86, base - 24),
            ] {
                cv.rect(
                    wx,
                    wy,
                    wx + 20,
                    wy + 14,
                    if lit {
                        window_lit
                    } else {
                        shade([150, 190, 215], lt)
                    },
                );
            }
            cv.rect(
                hx + 90,
                base - 100,
                hx + 100,
                base - 80,
                shade([150, 80, 60], lt),
            );
            let lawn = shade([90, 160, 70], lt);
            cv.rect(0, base, W as i32, H as i32, lawn);
            if s.kind == Kind::Garden {
                for row in 0..3 {
                    let y = base + 8 + row * 12;
                    for x in (10..200).step_by(8) {
                        let c = *r.pick(&[
                            [220, 60, 90],
                            [250, 200, 40],
                            [150, 90, 200],
                            [250, 250, 250],
                        ]);
                        cv.disc(x + r.range(-2, 2) as i32, y, 3, shade(c, lt));
                    }
                }
                // The greenhouse.
                cv.rect(20, base - 36, 90, base, shade([200, 230, 220], lt));
                cv.roof(18, 92, base - 36, 55, base - 52, shade([210, 235, 230], lt));
                for x in (20..90).step_by(14) {
                    cv.rect(x, base - 36, x + 1, base, shade([240, 240, 240], lt));
                }
            } else {
                cv.rect(0, base + 8, W as i32, base + 10, shade([140, 110, 80], lt));
                cv.rect(hx + 56, base, hx + 64, H as i32, shade([180, 170, 160], lt));
                for x in (0..W as i32).step_by(10) {
                    cv.disc(x, base + 4, 5, shade([40, 110, 50], lt));
                }
            }
        }
        Kind::Rocket => {
            let rx = W as i32 / 2;
            let white = shade([240, 240, 240], lt.max(0.7));
            cv.rect(rx - 8, horizon - 90, rx + 8, horizon + 10, white);
            cv.roof(rx - 8, rx + 8, horizon - 90, rx, horizon - 110, white);
            cv.rect(rx - 8, horizon - 60, rx + 8, horizon - 56, [30, 60, 160]);
            cv.roof(
                rx - 16,
                rx - 8,
                horizon + 10,
                rx - 8,
                horizon - 10,
                shade([200, 40, 40], lt),
            );
            cv.roof(
                rx + 8,
                rx + 16,
                horizon + 10,
                rx + 8,
                horizon - 10,
                shade([200, 40, 40], lt),
            );
            // The tower beside it.
            let steel = shade([170, 80, 40], lt);
            cv.rect(rx + 26, horizon - 100, rx + 34, horizon + 14, steel);
            for y in (horizon - 96..horizon + 10).step_by(10) {
                cv.rect(rx + 16, y, rx + 34, y + 2, steel);
            }
            cv.rect(
                0,
                horizon + 14,
                W as i32,
                H as i32,
                shade([170, 160, 140], lt),
            );
            smoke(&mut cv, r, rx, horizon + 16, horizon);
        }
        Kind::Park => {
            let pond = shade([70, 120, 170], lt);
            cv.ellipse(220, horizon + 40, 60, 16, pond);
            let path = shade([190, 175, 140], lt);
            for y in horizon + 4..H as i32 {
                let x = 90 + (y - horizon) / 2;
                cv.rect(x - 6, y, x + 6, y + 1, path);
            }
            for _ in 0..9 {
                let tx = r.range(0, W as i64) as i32;
                let ty = r.range(horizon as i64 + 4, horizon as i64 + 30) as i32;
                cv.rect(tx - 2, ty - 4, tx + 2, ty + 14, shade([90, 60, 30], lt));
                cv.disc(
                    tx,
                    ty - 10,
                    r.range(9, 14) as i32,
                    shade(jitter(r, [40, 110, 40], 15), lt),
                );
            }
            // A bench and a cyclist on the path.
            cv.rect(
                30,
                H as i32 - 30,
                66,
                H as i32 - 27,
                shade([120, 80, 40], lt),
            );
            cv.rect(
                30,
                H as i32 - 38,
                66,
                H as i32 - 35,
                shade([120, 80, 40], lt),
            );
            cv.rect(32, H as i32 - 27, 34, H as i32 - 20, [40, 40, 40]);
            cv.rect(62, H as i32 - 27, 64, H as i32 - 20, [40, 40, 40]);
            let cx = 150;
            let cy = H as i32 - 24;
            for wx in [cx - 10, cx + 10] {
                cv.disc(wx, cy, 7, [30, 30, 30]);
                cv.disc(wx, cy, 5, shade([90, 160, 70], lt));
            }
            cv.rect(cx - 10, cy - 6, cx + 10, cy - 4, shade([200, 40, 40], lt));
            figure(&mut cv, cx, cy - 6, shade([240, 200, 40], lt));
        }
    }
    cv
}

/// A person seen from afar: a head, a coat of `coat`, dark legs; `y` is the feet.
fn figure(cv: &mut Canvas, x: i32, y: i32, coat: Rgb) {
    cv.rect(x - 1, y - 6, x + 2, y, [40, 40, 50]);
    cv.rect(x - 2, y - 14, x + 3, y - 6, coat);
    cv.disc(x, y - 17, 3, [225, 185, 150]);
}

/// Flames rising from (x, y), `size` pixels tall.
fn flames(cv: &mut Canvas, r: &mut Rng, x: i32, y: i32, size: i32) {
    for k in 0..(size / 2) {
        let w = (size / 2 - k).max(1) / 2 + r.range(0, 3) as i32;
        let c = if k < size / 6 {
            [250, 220, 60]
        } else if k < size / 3 {
            [250, 140, 30]
        } else {
            [220, 60, 20]
        };
        cv.rect(
            x - w + r.range(-2, 2) as i32,
            y - k * 2,
            x + w,
            y - k * 2 + 2,
            c,
        );
    }
}

/// A grey plume of smoke from (x, y) drifting up to the top of the sky.
fn smoke(cv: &mut Canvas, r: &mut Rng, x: i32, y: i32, _horizon: i32) {
    let mut cx = x;
    let mut cy = y;
    let mut rad = 6;
    while cy > -10 {
        let g = r.range(90, 140) as u8;
        cv.disc(cx, cy, rad, [g, g, g + 4]);
        cx += r.range(2, 8) as i32;
        cy -= 8;
        rad = (rad + 1).min(22);
    }
}

/// A row of terraced houses (with shopfronts and awnings if `shops`) on `base`.
fn terrace(cv: &mut Canvas, r: &mut Rng, lt: f32, lit: bool, base: i32, shops: bool) {
    let brick = jitter(r, [160, 100, 80], 15);
    let mut x = -4;
    while x < W as i32 {
        let w = r.range(36, 52) as i32;
        let h = r.range(60, 80) as i32;
        cv.rect(
            x,
            base - h,
            x + w - 1,
            base,
            shade(jitter(r, brick, 10), lt),
        );
        cv.roof(
            x - 1,
            x + w,
            base - h,
            x + w / 2,
            base - h - 12,
            shade([70, 60, 60], lt),
        );
        for wx in [x + 6, x + w - 16] {
            cv.rect(
                wx,
                base - h + 10,
                wx + 9,
                base - h + 22,
                if lit && r.chance(0.6) {
                    [255, 214, 110]
                } else {
                    shade([120, 150, 180], lt)
                },
            );
        }
        if shops {
            let awning = *r.pick(&[[200, 40, 40], [40, 110, 60], [30, 70, 150], [230, 170, 30]]);
            cv.rect(
                x + 2,
                base - 26,
                x + w - 3,
                base,
                shade([170, 200, 215], lt),
            );
            cv.rect(x, base - 34, x + w - 1, base - 26, shade(awning, lt));
            for k in (0..w).step_by(8) {
                cv.rect(
                    x + k,
                    base - 34,
                    x + k + 4,
                    base - 26,
                    shade([245, 245, 240], lt),
                );
            }
            cv.rect(
                x + w / 2 - 4,
                base - 22,
                x + w / 2 + 4,
                base,
                shade([60, 50, 40], lt),
            );
        } else {
            cv.rect(
                x + w / 2 - 4,
                base - 20,
                x + w / 2 + 4,
                base,
                shade([40, 50, 80], lt),
            );
            cv.rect(
                x + 6,
                base - 30,
                x + 15,
                base - 18,
                shade([120, 150, 180], lt),
            );
        }
        x += w;
    }
}

fn pick_kind(r: &mut Rng) -> Kind {
    match r.below(6) {
        0 => Kind::Town,
        1 => Kind::Coast,
        2 => Kind::Countryside,
        3 => Kind::City,
        4 => Kind::Harbour,
        _ => Kind::Ground,
    }
}

fn pick_time(r: &mut Rng) -> Time {
    match r.weighted(&[10, 20, 22, 20, 14, 14]) {
        0 => Time::Dawn,
        1 => Time::Morning,
        2 => Time::Midday,
        3 => Time::Evening,
        4 => Time::Dusk,
        _ => Time::Night,
    }
}

fn sky_phrase(s: &Scene) -> &'static str {
    match (s.time, s.weather, s.orb) {
        (_, Weather::Overcast, _) if s.time == Time::Night => "on a cloudy night",
        (_, Weather::Overcast, _) => "under a heavy grey sky",
        (Time::Dawn, _, true) => "as the sun rises in a pink dawn sky",
        (Time::Dawn, _, false) => "in pale pink dawn light",
        (Time::Morning, Weather::Cloudy, _) => "on a bright morning with scattered clouds",
        (Time::Morning, _, _) => "under a clear blue morning sky",
        (Time::Midday, Weather::Cloudy, _) => "under a blue sky dotted with white clouds",
        (Time::Midday, _, true) => "in bright sunshine",
        (Time::Midday, _, false) => "under a clear blue sky",
        (Time::Evening, _, true) => "as the sun sets in an orange evening sky",
        (Time::Evening, _, false) => "under an orange evening sky",
        (Time::Dusk, _, _) => "against a purple sky at dusk",
        (Time::Night, _, true) => "at night under a crescent moon and stars",
        (Time::Night, _, false) => "at night under a starry sky",
    }
}

/// What is drawn, for the alt text: (subject, short name for the caption).
pub(crate) fn subject(kind: Kind, lit: bool) -> (String, &'static str) {
    let lights = if lit {
        ", lights glowing in the windows"
    } else {
        ""
    };
    let (a, b): (String, &str) = match kind {
        Kind::Town => (format!("Rows of tall terraced houses with pointed roofs and chimneys{lights}"), "Rooftops"),
        Kind::Coast => ("A red and white lighthouse on a grassy clifftop above the sea, with a small sailing boat offshore".into(), "The lighthouse and coastline"),
        Kind::Countryside => ("A white farmhouse among striped fields and scattered trees, with hills beyond".into(), "Farmland"),
        Kind::City => (format!("Office blocks on the city skyline with a yellow crane{lights}"), "Offices in the city centre"),
        Kind::Harbour => ("Colourful boats moored in front of a row of painted houses on the quay".into(), "Boats in the harbour"),
        Kind::Ground => (format!("An empty football pitch with mown stripes, a red stand and {} floodlights", if lit { "blazing" } else { "tall" }), "The ground"),
        Kind::Civic => ("A stone building with a row of columns, a pediment and a flag flying above the steps".into(), "The building"),
        Kind::Crowd => ("Protesters holding placards in front of a columned public building".into(), "Protesters"),
        Kind::Moor => ("Members of a mountain rescue team in red jackets beside their vehicle on open moorland, a cairn on the skyline".into(), "Rescue volunteers on the moor"),
        Kind::Station => ("A passenger train standing at a station platform under a canopy".into(), "A train at the station"),
        Kind::Bus => ("A red double-decker bus at a stop on a street of terraced houses".into(), "A bus on its route"),
        Kind::Hospital => ("A hospital building with a blue H sign and an ambulance outside".into(), "The hospital"),
        Kind::School => ("A single-storey brick school with a clock above the door and a fenced playground".into(), "The school"),
        Kind::Fire => ("Flames and smoke rising from a terraced building as a fire engine stands in the street".into(), "Firefighters at the scene"),
        Kind::Wildfire => ("Flames spreading through trees on a hillside under a plume of smoke".into(), "The fire"),
        Kind::Roadworks => ("Traffic cones and a red and white barrier closing a road, with a diversion sign".into(), "The closed road"),
        Kind::Pylons => ("Electricity pylons carrying power lines across green fields".into(), "Power lines"),
        Kind::Flood => ("A street of houses under brown floodwater in heavy rain, a car stranded to its windows".into(), "Flooding"),
        Kind::Turbines => ("Wind turbines on green hills".into(), "Wind turbines"),
        Kind::Shops => ("A row of shops with striped awnings on a high street".into(), "Shops on the high street"),
        Kind::Cricket => ("Cricketers in white on a green field, with a pavilion and a sightscreen".into(), "The cricket ground"),
        Kind::Rugby => ("A rugby pitch with tall H-shaped posts and a ball on the grass".into(), "The rugby ground"),
        Kind::Track => ("Athletes racing on a red running track in front of a stand".into(), "The track"),
        Kind::Table => ("A table laid for two, with plates of food, a bottle of wine and a candle, by a window".into(), "A table laid for dinner"),
        Kind::House => (format!("A detached brick house with a front garden and a hedge{lights}"), "The house"),
        Kind::Garden => ("Flower beds in a back garden, with a greenhouse and the house behind".into(), "The garden"),
        Kind::Rocket => ("A rocket on its launch pad beside a service tower".into(), "The rocket on the launch pad"),
        Kind::Park => ("A park with trees, a pond, a bench and a cyclist on the path".into(), "The park"),
        Kind::Distillery => ("Whitewashed distillery buildings with a pagoda roof, casks stacked in front".into(), "The distillery"),
    };
    (a, b)
}

/// The place the story names first among its own places, for the caption.
fn place_of(head: &crate::story::Head) -> Option<String> {
    let said = format!(
        "{} {}",
        head.standfirsts.first().map(String::as_str).unwrap_or(""),
        head.headline
    );
    for var in [
        "ground", "hospital", "school", "venue", "capital", "country", "island", "stown", "town",
        "fcity", "district",
    ] {
        if let Some(v) = head.c.get(var)
            && !v.is_empty()
            && said.contains(v)
        {
            return Some(v.to_string());
        }
    }
    said.contains(crate::names::CITY)
        .then(|| crate::names::CITY.to_string())
}

/// Generate picture `key`, drawn for `owner` (the story's head, and whether
/// it is an inline picture); without an owner, a town scene.
pub(crate) fn generate(
    seed: u64,
    key: usize,
    owner: Option<(&crate::story::Head, bool)>,
) -> PictureSeed {
    let mut r = Rng::derive(seed, stream::PICTURE, key as u64);
    let kind = owner.map_or_else(|| pick_kind(&mut r), |(h, _)| scene_for_topic(h.topic.id));
    let kind = match kind {
        Kind::Civic if owner.is_some_and(|(h, _)| h.topic.id == "protest") => Kind::Crowd,
        k => k,
    };
    let time = match kind {
        Kind::Table => Time::Evening,
        _ => pick_time(&mut r),
    };
    let weather = match (kind, r.weighted(&[50, 35, 15])) {
        (Kind::Flood, _) => Weather::Overcast,
        (_, 0) => Weather::Clear,
        (_, 1) => Weather::Cloudy,
        _ => Weather::Overcast,
    };
    let orb = weather != Weather::Overcast && r.chance(0.75);
    let scene = Scene {
        kind,
        time,
        weather,
        orb,
    };
    let place = owner.and_then(|(h, _)| place_of(h));
    let scottish = owner.is_some_and(|(h, _)| h.section == "scotland");
    let lit = matches!(time, Time::Dusk | Time::Night);

    let canvas = draw(&mut r, &scene);
    let sky = if kind == Kind::Table {
        "in the evening"
    } else {
        sky_phrase(&scene)
    };
    let (subject, short) = subject(kind, lit);
    let alt = crate::typography::smarten(&format!("{subject} {sky}."));
    let where_ = match &place {
        Some(p) => format!(" in {p}"),
        None => String::new(),
    };
    let caption = crate::typography::smarten(&format!("{short}{where_} {sky}."));
    let female = r.chance(0.5);
    let first = if female {
        *r.pick(FIRST_F)
    } else {
        *r.pick(FIRST_M)
    };
    let last = *r.pick(SURNAMES);
    let agency = if r.chance(0.35) {
        if scottish {
            "Highland News Service"
        } else {
            *r.pick(&[AGENCIES[0], AGENCIES[1], AGENCIES[2]])
        }
    } else {
        "Northern Broadsheet"
    };
    let credit = format!("{first} {last}/{agency}");

    let jpeg = match canvas.to_image() {
        Some(img) => {
            let mut buf = Vec::with_capacity(64 * 1024);
            let mut enc = JpegEncoder::new_with_quality(&mut buf, 78);
            match enc.encode_image(&img) {
                Ok(()) => buf,
                Err(_) => Vec::new(),
            }
        }
        None => Vec::new(),
    };

    PictureSeed {
        key,
        alt,
        caption,
        credit,
        width: WIDTH,
        height: HEIGHT,
        jpeg,
    }
}
