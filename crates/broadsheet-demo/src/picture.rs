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
use crate::names::{AGENCIES, FIRST_F, FIRST_M, SCOT_TOWNS, SURNAMES, TOWNS};
use crate::rng::{Rng, stream};

pub(crate) const WIDTH: u32 = 960;
pub(crate) const HEIGHT: u32 = 540;
const SCALE: usize = 3;
const W: usize = WIDTH as usize / SCALE;
const H: usize = HEIGHT as usize / SCALE;

type Rgb = [u8; 3];

/// Places by the sea, for coast and harbour scenes.
const COASTAL: &[&str] = &[
    "Saltby",
    "Carrow Sands",
    "Port Ellary",
    "Kilbrannan",
    "Lochgarve",
    "Balnacraig",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Town,
    Coast,
    Countryside,
    City,
    Harbour,
    Ground,
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
    }
    cv
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

/// Generate picture `key`.
pub(crate) fn generate(seed: u64, key: usize) -> PictureSeed {
    let mut r = Rng::derive(seed, stream::PICTURE, key as u64);
    let kind = pick_kind(&mut r);
    let time = pick_time(&mut r);
    let weather = match r.weighted(&[50, 35, 15]) {
        0 => Weather::Clear,
        1 => Weather::Cloudy,
        _ => Weather::Overcast,
    };
    let orb = weather != Weather::Overcast && r.chance(0.75);
    let scene = Scene {
        kind,
        time,
        weather,
        orb,
    };
    let (scottish, place) = match kind {
        Kind::City => (false, crate::names::CITY),
        Kind::Coast | Kind::Harbour => {
            let p = *r.pick(COASTAL);
            (SCOT_TOWNS.contains(&p), p)
        }
        _ if r.chance(0.25) => (true, *r.pick(SCOT_TOWNS)),
        _ => (false, *r.pick(TOWNS)),
    };
    let lit = matches!(time, Time::Dusk | Time::Night);

    let canvas = draw(&mut r, &scene);
    let sky = sky_phrase(&scene);
    let (subject, context): (String, &[&str]) = match kind {
        Kind::Town => (
            format!(
                "Rows of tall terraced houses with pointed roofs and chimneys{}",
                if lit { ", lights glowing in the windows," } else { "" }
            ),
            &[
                "Residents have been asked for their views on plans for the town centre.",
                "The town's conservation area is being reviewed by the council.",
                "House prices in the area have risen steadily over the past year.",
            ],
        ),
        Kind::Coast => (
            "A red and white lighthouse on a grassy clifftop above the sea, with a small sailing boat offshore".to_string(),
            &[
                "Councillors are considering new sea defences along this stretch of coast.",
                "The coastline attracts thousands of walkers every summer.",
                "Volunteers carry out regular beach cleans along the shore.",
            ],
        ),
        Kind::Countryside => (
            "A white farmhouse among striped fields and scattered trees, with hills beyond".to_string(),
            &[
                "Farmers in the area say the past year has been one of the toughest they can remember.",
                "Walkers are being asked to keep dogs on leads near livestock.",
                "The valley is a popular spot for walkers and cyclists.",
            ],
        ),
        Kind::City => (
            format!(
                "Office blocks and flats on the city skyline with a yellow crane{}",
                if lit { ", many windows lit," } else { "" }
            ),
            &[
                "Several new developments have been approved in the city centre.",
                "The council says the regeneration scheme will create hundreds of jobs.",
                "Office space in the city is in high demand, according to agents.",
            ],
        ),
        Kind::Harbour => (
            "Colourful fishing boats moored in front of a row of painted houses on the quay".to_string(),
            &[
                "The fishing fleet here has had a mixed season.",
                "Plans to improve the harbour have been put out to consultation.",
                "Tourism is increasingly important to the local economy.",
            ],
        ),
        Kind::Ground => (
            format!(
                "An empty football pitch with mown stripes, a red stand and {} floodlights",
                if lit { "blazing" } else { "tall" }
            ),
            &[
                "The club hopes to expand the ground's capacity in the coming years.",
                "Thousands of supporters are expected for the next home game.",
                "The ground has hosted football for more than a century.",
            ],
        ),
    };
    let subject = subject.trim_end_matches(',').to_string();
    let alt = format!("{subject} {sky}.");
    let short = match kind {
        Kind::Town => "Rooftops",
        Kind::Coast => "The lighthouse and coastline",
        Kind::Countryside => "Farmland and hills",
        Kind::City => "The skyline",
        Kind::Harbour => "Boats in the harbour",
        Kind::Ground => "The home ground",
    };
    let caption = format!("{short} at {place} {sky}. {}", r.pick(context));

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
