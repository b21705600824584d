//! News section (top level): incidents and emergencies in the Kelder
//! Valley — fires, road closures, outages, rescues. The breaking story is
//! drawn from here.

use super::{Angle, Topic, int, resolve, small};
use crate::rng::Rng;
use crate::text::Ctx;

pub(super) const TOPICS: &[Topic] = &[FIRE, ROAD, OUTAGE, RESCUE];

fn fire(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "building",
        &[
            "a derelict mill",
            "a warehouse",
            "a row of shops",
            "a former nightclub",
            "a timber yard",
            "a block of flats",
            "a farm barn",
            "a church hall",
        ],
    );
    c.pick(
        r,
        "bstreet",
        &[
            "Mill Lane",
            "Canal Side",
            "Quarry Lane",
            "Northgate",
            "Bridge Street",
            "Station Road",
        ],
    );
    small(r, c, "engines", 3, 9);
    int(r, c, "firefighters", 20, 70);
    int(r, c, "evacuated", 12, 240);
    c.person(
        r,
        "officer",
        "officer_last",
        "Group Commander ",
        "Group Commander ",
    );
    c.person(r, "witness", "witness_last", "", "");
    c.pick(
        r,
        "fplace",
        &[
            "{town}",
            "Kelderby city centre",
            "the {district} area of Kelderby",
        ],
    );
    resolve(c, "fplace");
}

const FIRE: Topic = Topic {
    id: "fire",
    tags: &["Fire and Rescue"],
    setup: fire,
    angles: &[Angle {
        headlines: &[
            "Huge fire at {building} in {fplace}: residents told to keep windows shut",
            "{^firefighters} firefighters tackle blaze at {building} on {bstreet}",
            "Fire at {building} in {fplace}: {evacuated} people evacuated",
            "Smoke seen for miles as fire rips through {building} in {fplace}",
            "{bstreet} closed as crews fight fire at {building} in {fplace}",
        ],
        standfirsts: &[
            "Kelder Valley Fire and Rescue Service says {engines} engines are at the scene and people should avoid the area.",
            "Nobody is believed to have been injured, but nearby homes and businesses have been evacuated as a precaution.",
        ],
        openers: &[
            "Firefighters are tackling a large fire at {building} on {bstreet} in {fplace}.",
            "A large fire has broken out at {building} in {fplace}, sending smoke across the Kelder Valley.",
        ],
        extra: &[],
    }],
    details: &[
        "Crews were called shortly after 6am and {engines} engines, with around {firefighters} firefighters, were sent to the scene.",
        "Around {evacuated} people were evacuated from nearby properties as a precaution.",
        "Residents living nearby have been advised to keep their windows and doors closed because of the smoke.",
        "{bstreet} has been closed in both directions and drivers are asked to avoid the area.",
        "There are no reports of any injuries.",
        "An aerial ladder platform has been used to pour water onto the roof of the building.",
        "{witness}, who lives nearby, said the flames could be seen from the other side of the valley.",
        "The cause of the fire is not yet known, and an investigation will be carried out once it is safe to do so.",
        "Police are helping with road closures around the site.",
    ],
    quotes: &[
        "\"Crews are working hard to bring the fire under control and we expect to be here for some time,\" said {officer}.",
        "\"There was a huge bang and then black smoke everywhere,\" said {witness}.",
        "\"Please avoid the area and let the emergency services do their job,\" said {officer_last}.",
    ],
    subheads: &["Road closures", "Advice to residents"],
    closers: &[
        "This story is being updated.",
        "Kelder Valley Fire and Rescue Service will give a further update later today.",
    ],
};

fn road(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "road",
        &[
            "the Thornbeck bypass",
            "the Kelderby ring road",
            "Moor Road",
            "the Skelwick road",
            "the coast road near Saltby",
            "the Fellgate link road",
        ],
    );
    small(r, c, "vehicles", 2, 5);
    small(r, c, "injured", 1, 4);
    small(r, c, "hours", 2, 7);
    c.person(r, "sergeant", "sergeant_last", "Sgt ", "Sgt ");
    c.pick(
        r,
        "hospital",
        &["Kelderby Royal Infirmary", "St Hild's Hospital"],
    );
}

const ROAD: Topic = Topic {
    id: "road-closure",
    tags: &["Roads", "Kelder Valley Police"],
    setup: road,
    angles: &[Angle {
        headlines: &[
            "Crash closes {road} near {town}: drivers face long delays",
            "{^injured} taken to hospital after {vehicles}-vehicle crash on {road}",
            "{^road} shut in both directions after collision near {town}",
            "Police appeal for witnesses after crash on {road} near {town}",
        ],
        standfirsts: &[
            "Kelder Valley Police say the road is likely to remain closed for several hours.",
            "Emergency services were called to the collision, which involved {vehicles} vehicles.",
        ],
        openers: &[
            "{^road} near {town} has been closed after a collision involving {vehicles} vehicles.",
            "Drivers are being warned to avoid {road} after a crash near {town}.",
        ],
        extra: &[],
    }],
    details: &[
        "Emergency services were called to the scene just after 7.30am.",
        "{^injured} people were taken to {hospital}. Their injuries are not thought to be life-threatening.",
        "The road is expected to remain closed for about {hours} hours while investigations take place.",
        "Diversions are in place through {town2}, and there are long queues in both directions.",
        "Bus services in the area are being diverted, with some stops not being served.",
        "Police have asked anyone with dashcam footage of the area at the time to get in touch.",
        "Recovery vehicles are on their way to the scene.",
    ],
    quotes: &[
        "\"We would ask drivers to avoid the area and to be patient while we deal with the incident,\" said {sergeant}, of Kelder Valley Police.",
        "\"If you saw what happened, or have dashcam footage, please contact us,\" said {sergeant_last}.",
    ],
    subheads: &["Diversions", "Witness appeal"],
    closers: &[
        "Anyone with information can call Kelder Valley Police on 101.",
        "This story is being updated.",
    ],
};

fn outage(r: &mut Rng, c: &mut Ctx) {
    let water = r.chance(0.5);
    if water {
        c.set("utility", "water");
        c.set("fault", "a burst water main");
        c.set("company", "Kelder Water");
        c.set(
            "relief",
            "bottled water stations have been set up at {town} leisure centre",
        );
    } else {
        c.set("utility", "power");
        c.set("fault", "a fault at a substation");
        c.set("company", "North Grid");
        c.set(
            "relief",
            "a welfare van with hot drinks has been sent to {town} market square",
        );
    }
    resolve(c, "relief");
    int(r, c, "homes", 400, 9_500);
    small(r, c, "hours", 2, 9);
    c.person(r, "manager", "manager_last", "", "");
    c.person(r, "resident", "resident_last", "", "");
}

const OUTAGE: Topic = Topic {
    id: "outage",
    tags: &["Community", "Energy"],
    setup: outage,
    angles: &[Angle {
        headlines: &[
            "{homes} homes in {town} without {utility} after {fault}",
            "{town} {utility} cut: engineers work to repair {fault}",
            "{^utility} cut hits {homes} homes in {town} and {town2}",
            "{^company} apologises as {homes} homes lose {utility} in {town}",
        ],
        standfirsts: &[
            "{^company} says it hopes to have supplies restored within {hours} hours.",
            "Schools in the area have closed early and residents are being asked to check on vulnerable neighbours.",
        ],
        openers: &[
            "Around {homes} homes in {town} and {town2} are without {utility} after {fault}, {company} has said.",
        ],
        extra: &[],
    }],
    details: &[
        "Engineers were sent to the scene early on {weekday} and are working to make repairs.",
        "{^company} said it hoped to restore supplies to most customers within {hours} hours.",
        "The company said {relief}.",
        "Two primary schools in {town} closed at lunchtime because of the problem.",
        "Customers on the priority services register are being contacted directly.",
        "{resident}, who lives in {town}, said neighbours had been checking on older residents in the street.",
        "The company said customers may be entitled to compensation.",
    ],
    quotes: &[
        "\"We know how disruptive this is and we are sorry. Our teams will keep working until every home is back on,\" said {manager}, of {company}.",
        "\"Everyone's been really good, knocking on doors and making sure people are all right,\" said {resident}.",
    ],
    subheads: &[
        "When will supplies return?",
        "Help for vulnerable customers",
    ],
    closers: &[
        "Updates are being posted on the {company} website.",
        "This story is being updated.",
    ],
};

fn rescue(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "hill",
        &[
            "Ashby Moor",
            "Fell Top",
            "Kelder Edge",
            "High Stanbeck",
            "Wrayton Pike",
        ],
    );
    let female = r.chance(0.5);
    c.person_g(r, "walker", "walker_last", "", "", female);
    c.pronouns(female, "he", "his", "man");
    int(r, c, "age", 19, 78);
    small(r, c, "hours", 3, 14);
    int(r, c, "volunteers", 12, 45);
    c.office(
        "leader",
        "leader_last",
        "",
        "",
        "mountain rescue team leader",
        None,
    );
}

const RESCUE: Topic = Topic {
    id: "rescue",
    tags: &["Community", "Weather"],
    setup: rescue,
    angles: &[Angle {
        headlines: &[
            "Missing walker found safe on {hill} after {hours}-hour search",
            "Rescue teams find {age}-year-old walker on {hill}",
            "{volunteers} volunteers join overnight search on {hill}",
            "{age}-year-old walker rescued from {hill} after getting lost in fog",
        ],
        standfirsts: &[
            "Kelder Valley Mountain Rescue Team says the walker was cold but otherwise unhurt.",
            "Volunteers searched through the night in poor weather on {hill}.",
        ],
        openers: &[
            "A {age}-year-old {man} who went missing while walking on {hill} has been found safe after a {hours}-hour search.",
        ],
        extra: &[],
    }],
    details: &[
        "The walker, from {town}, was reported missing by family members when {he} failed to return home.",
        "{^volunteers} volunteers from Kelder Valley Mountain Rescue Team took part in the search, helped by a search dog.",
        "Thick fog and low cloud made the search difficult.",
        "The walker was found in a gully about two miles from the nearest road.",
        "{^he} was treated for mild hypothermia and taken to Kelderby Royal Infirmary as a precaution.",
        "The rescue team has reminded walkers to carry a map, a torch and warm clothing, even in summer.",
        "The team is made up entirely of volunteers and relies on donations.",
    ],
    quotes: &[
        "\"This was a very good outcome. Conditions on the hill were poor and {he} did the right thing by staying put,\" said {leader}, of Kelder Valley Mountain Rescue Team.",
        "\"Please plan your route, tell someone where you are going and check the forecast,\" said {leader_last}.",
    ],
    subheads: &["The search", "Advice for walkers"],
    closers: &[
        "Donations to the rescue team can be made through its website.",
        "The family thanked the volunteers for their efforts.",
    ],
};
