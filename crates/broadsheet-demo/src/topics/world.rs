//! World section: elections, summits, disasters, protests and science in
//! fictional foreign countries.

use super::{Angle, Topic, int, percent, small};
use crate::rng::Rng;
use crate::text::Ctx;

pub(super) const TOPICS: &[Topic] = &[ELECTION, SUMMIT, QUAKE, WILDFIRE, PROTEST, SPACE, RATES];

fn election(r: &mut Rng, c: &mut Ctx) {
    c.foreign_person(r, "winner", "winner_last", "");
    c.foreign_person(r, "rival", "rival_last", "");
    percent(r, c, "share", 38.0, 56.0);
    percent(r, c, "turnout", 48.0, 81.0);
    c.pick(
        r,
        "wparty",
        &[
            "Democratic Alliance",
            "People's Movement",
            "Liberal Union",
            "Green Future party",
            "National Renewal party",
            "Social Democrats",
        ],
    );
    c.pick(
        r,
        "rparty",
        &[
            "Civic Platform",
            "Conservative Union",
            "Labour Front",
            "Centre Coalition",
            "Progress party",
        ],
    );
    c.pick(r, "role", &["president", "prime minister"]);
    small(r, c, "years", 4, 12);
}

const ELECTION: Topic = Topic {
    id: "election",
    tags: &["Elections", "Politics"],
    setup: election,
    angles: &[
        Angle {
            headlines: &[
                "{winner} wins {country} election with {share}% of vote",
                "{^country} election: {wparty} claims victory as {rival} concedes",
                "{winner} to become {country}'s {role} after landslide",
                "{adj} voters hand {wparty} victory on {turnout}% turnout",
            ],
            standfirsts: &[
                "{winner} promised to tackle the cost of living and reform the civil service.",
                "Turnout was {turnout}%, according to the electoral commission.",
            ],
            openers: &[
                "{winner} of the {wparty} has won {country}'s election with {share}% of the vote, according to official results.",
            ],
            extra: &[
                "{rival} conceded defeat in a speech to supporters in {capital} late on {prev_day}.",
                "> \"Tonight the people of {country} have chosen change,\" {winner} told cheering supporters in {capital}.",
            ],
        },
        Angle {
            headlines: &[
                "{^country} goes to the polls in tight race between {winner} and {rival}",
                "Polls open in {country} as {rival} seeks {years} more years in power",
            ],
            standfirsts: &["Opinion polls suggest the result is too close to call."],
            openers: &[
                "Voters in {country} are going to the polls in an election that polls suggest is too close to call.",
            ],
            extra: &["Results are expected early on {next_day}."],
        },
    ],
    details: &[
        "{winner}, a former mayor of {fcity}, campaigned on promises to bring down food and energy prices.",
        "{rival}, of the {rparty}, has led the country for {years} years.",
        "International observers said voting had been largely orderly.",
        "The economy has dominated the campaign after a year of high inflation and weak growth.",
        "Relations with neighbouring {country2} were also a key issue for many voters.",
        "The new parliament is expected to meet for the first time next month.",
    ],
    quotes: &[
        "\"The choice in front of voters could not be clearer,\" {winner} told a rally in {fcity} at the end of the campaign.",
        "\"We have steered this country through difficult times, and we are ready to do it again,\" said {rival}.",
    ],
    subheads: &["Who is {winner}?", "What happens next"],
    closers: &[
        "A new government is expected to be formed within weeks.",
        "Official results will be confirmed by the electoral commission.",
    ],
};

fn summit(r: &mut Rng, c: &mut Ctx) {
    c.foreign_person(r, "leader1", "leader1_last", "");
    c.foreign_person(r, "leader2", "leader2_last", "");
    c.pick(
        r,
        "issue",
        &[
            "trade",
            "fishing rights",
            "energy supplies",
            "border crossings",
            "water sharing",
            "rail links",
        ],
    );
    let bn = r.range(2, 48);
    c.set("bn", format!("${bn}bn"));
    small(r, c, "years", 3, 10);
}

const SUMMIT: Topic = Topic {
    id: "summit",
    tags: &["Diplomacy", "Trade"],
    setup: summit,
    angles: &[
        Angle {
            headlines: &[
                "{^country} and {country2} sign deal on {issue} after summit in {capital}",
                "Leaders agree {years}-year pact on {issue} worth {bn}bn",
                "Breakthrough on {issue} as {leader1} and {leader2} meet in {capital}",
            ],
            standfirsts: &["The agreement ends years of dispute between the two neighbours."],
            openers: &[
                "{^country} and {country2} have signed an agreement on {issue} following two days of talks in {capital}.",
            ],
            extra: &[
                "The deal is expected to be worth about {bn} over {years} years.",
                "> \"This is a good day for both our peoples,\" said {leader1}.",
            ],
        },
        Angle {
            headlines: &[
                "Talks between {country} and {country2} on {issue} end without agreement",
                "{leader2} walks out of {capital} talks over {issue}",
            ],
            standfirsts: &["Both sides said they remained committed to reaching a deal."],
            openers: &[
                "Talks between {country} and {country2} on {issue} have ended without agreement.",
            ],
            extra: &["Officials said negotiators would meet again within weeks."],
        },
    ],
    details: &[
        "{leader1}, who hosted the talks, described the discussions as frank.",
        "The two countries share a long border and have close trade links.",
        "Businesses on both sides of the border have called for an end to the uncertainty.",
        "The dispute over {issue} dates back more than a decade.",
        "Diplomats from several other countries attended as observers.",
        "The talks were held at a government residence outside {capital}.",
    ],
    quotes: &[
        "\"Neighbours will always have disagreements. What matters is how we settle them,\" said {leader1}.",
        "\"We came here in good faith, and we will continue to work for an agreement,\" said {leader2}.",
    ],
    subheads: &["What was agreed", "A long-running dispute"],
    closers: &[
        "Both parliaments will need to approve any agreement.",
        "A joint statement is expected later this week.",
    ],
};

fn quake(r: &mut Rng, c: &mut Ctx) {
    let flood = r.chance(0.5);
    if flood {
        c.set("disaster", "floods");
        c.set("disaster_s", "Floods");
        c.set("cause", "days of torrential rain");
    } else {
        c.set("disaster", "earthquake");
        c.set("disaster_s", "Earthquake");
        c.set(
            "cause",
            format!("a magnitude {}.{} earthquake", r.range(5, 7), r.range(0, 9)),
        );
    }
    int(r, c, "displaced", 1_200, 48_000);
    int(r, c, "injured", 14, 480);
    c.foreign_person(r, "official", "official_last", "");
    c.foreign_person(r, "survivor", "survivor_last", "");
}

const QUAKE: Topic = Topic {
    id: "disaster",
    tags: &["Disasters"],
    setup: quake,
    angles: &[Angle {
        headlines: &[
            "{^disaster_s} in {country}: thousands left homeless around {fcity}",
            "{^displaced} people forced from homes after {disaster} in {country}",
            "Aid arrives in {fcity} as {displaced} are left homeless by {disaster}",
            "{^country} appeals for help after {disaster} hit {fcity}",
        ],
        standfirsts: &[
            "Officials in {capital} say {displaced} people have been forced from their homes.",
            "Rescue teams are working to reach villages cut off by damaged roads.",
        ],
        openers: &[
            "Thousands of people have been left homeless around the city of {fcity} in {country} after {cause}.",
        ],
        extra: &[],
    }],
    details: &[
        "Officials say {injured} people have been treated in hospital and {displaced} have been forced from their homes.",
        "Roads and bridges have been damaged, making it difficult for rescue teams to reach remote villages.",
        "The government in {capital} has declared a state of emergency in the region.",
        "Neighbouring {country2} has sent rescue teams and supplies.",
        "Aid agencies say clean water and shelter are the most urgent needs.",
        "Schools and sports halls have been turned into temporary shelters.",
        "{survivor}, who lives in {fcity}, said the family had lost almost everything.",
    ],
    quotes: &[
        "\"Our priority is to reach everyone who needs help as quickly as possible,\" said {official}, a government spokesperson.",
        "\"We got out with nothing but the clothes we were wearing,\" said {survivor}.",
    ],
    subheads: &["Rescue efforts", "International aid"],
    closers: &[
        "Aid agencies have launched appeals for donations.",
        "The government says it will rebuild damaged homes and schools.",
    ],
};

fn wildfire(r: &mut Rng, c: &mut Ctx) {
    int(r, c, "hectares", 2_000, 90_000);
    int(r, c, "temp", 38, 46);
    int(r, c, "evacuated", 800, 30_000);
    c.foreign_person(r, "chief", "chief_last", "");
    c.pick(
        r,
        "area",
        &[
            "the hills above {fcity}",
            "the forests north of {capital}",
            "the coast near {fcity}",
            "the {adj} national park",
        ],
    );
    super::resolve(c, "area");
}

const WILDFIRE: Topic = Topic {
    id: "wildfire",
    tags: &["Climate", "Disasters"],
    setup: wildfire,
    angles: &[Angle {
        headlines: &[
            "Wildfires in {country} force {evacuated} from homes as temperatures hit {temp}C",
            "{^country} wildfire burns {hectares} hectares near {fcity}",
            "Firefighters battle blazes in {area}",
            "{evacuated} residents and holidaymakers evacuated as fire spreads near {fcity}",
        ],
        standfirsts: &[
            "Officials say strong winds and temperatures of {temp}C are making the fires hard to control.",
            "Scientists say heatwaves in the region are becoming longer and more intense.",
        ],
        openers: &[
            "More than {evacuated} people have been evacuated as wildfires burn in {area} in {country}.",
        ],
        extra: &[],
    }],
    details: &[
        "The fires have burned {hectares} hectares of forest and farmland, according to officials.",
        "Temperatures reached {temp}C on {prev_day}, and strong winds have fanned the flames.",
        "Water-bombing aircraft have been sent from neighbouring {country2}.",
        "Several roads have been closed and some tourists have been moved to hotels further along the coast.",
        "There have been no reports of deaths, though some firefighters have been treated for smoke inhalation.",
        "Scientists say climate change is making heatwaves in the region more frequent.",
    ],
    quotes: &[
        "\"The next 48 hours will be critical,\" said {chief}, head of the national fire service.",
        "\"We could see the flames from our hotel balcony. It was frightening,\" said one British tourist.",
    ],
    subheads: &["Tourists caught up", "A warming climate"],
    closers: &[
        "Travellers are advised to follow the instructions of local authorities.",
        "More hot weather is forecast for the coming days.",
    ],
};

fn protest(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "grievance",
        &[
            "fuel prices",
            "pension reforms",
            "a rise in bread prices",
            "plans to close rural hospitals",
            "a new tax on farmers",
            "housing costs",
        ],
    );
    let crowd = r.range(40, 240) * 500;
    c.set("crowd", crate::text::fmt_int(crowd));
    c.foreign_person(r, "organiser", "organiser_last", "");
    c.foreign_person(r, "minister", "minister_last", "");
}

const PROTEST: Topic = Topic {
    id: "protest",
    tags: &["Politics"],
    setup: protest,
    angles: &[Angle {
        headlines: &[
            "Organisers say {crowd} marched in {capital} over {grievance}",
            "{^country} protests over {grievance} spread to {fcity}",
            "{adj} government under pressure as protests over {grievance} grow",
            "Strikes and marches across {country} over {grievance}",
        ],
        standfirsts: &[
            "Organisers say {crowd} people took part, the largest protest in the country for years.",
            "The government says it will not back down but is open to talks.",
        ],
        openers: &[
            "Tens of thousands of people have marched through {capital} to protest about {grievance}.",
        ],
        extra: &[],
    }],
    details: &[
        "Organisers put the number of marchers at {crowd}, while police gave a lower figure.",
        "The protests were largely peaceful, although police said several people had been arrested.",
        "Unions have called a general strike for next week.",
        "Public transport in {capital} was badly disrupted.",
        "Similar protests took place in {fcity} and several other cities.",
        "Opinion polls suggest most people in {country} support the protesters' demands.",
    ],
    quotes: &[
        "\"People are struggling to make ends meet, and the government is not listening,\" said {organiser}, one of the organisers.",
        "\"We understand people's concerns, but these reforms are necessary,\" said {minister}, a government minister.",
    ],
    subheads: &["Why people are angry", "Government response"],
    closers: &[
        "Further protests are planned for the weekend.",
        "Talks between unions and the government are due to begin next week.",
    ],
};

fn space(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "mission",
        &["Aurora", "Meridian", "Polaris", "Solstice", "Halcyon"],
    );
    int(r, c, "km", 400, 36_000);
    c.foreign_person(r, "director", "director_last", "");
    c.pick(
        r,
        "payload",
        &[
            "a weather satellite",
            "an Earth observation satellite",
            "a telescope",
            "a communications satellite",
            "a lunar probe",
        ],
    );
}

const SPACE: Topic = Topic {
    id: "space",
    tags: &["Science"],
    setup: space,
    angles: &[Angle {
        headlines: &[
            "{^country} launches {payload} on {mission} mission",
            "{mission} rocket lifts off from {country} carrying {payload}",
            "{adj} space agency celebrates successful {mission} launch",
            "Scientists hail {mission} mission as {payload} reaches orbit",
        ],
        standfirsts: &[
            "The {mission} mission is the most ambitious yet for the country's space agency.",
        ],
        openers: &[
            "{^country} has launched {payload} into orbit as part of its {mission} mission.",
        ],
        extra: &[],
    }],
    details: &[
        "The rocket lifted off from a launch site near {fcity} early on {weekday}.",
        "The spacecraft will orbit at a height of about {km}km.",
        "Scientists say the mission will improve weather forecasts and help monitor crops and forests.",
        "The mission has taken more than eight years to develop.",
        "Engineers from several universities in {country} and {country2} worked on the project.",
        "The agency plans a second launch next year.",
    ],
    quotes: &[
        "\"This is a proud day for everyone who worked on {mission},\" said {director}, director of the space agency.",
        "\"The data from this mission will be used by scientists all over the world,\" said {director_last}.",
    ],
    subheads: &["What the mission will do"],
    closers: &[
        "First data from the mission is expected within weeks.",
        "The launch was watched by thousands of people near the launch site.",
    ],
};

fn rates(r: &mut Rng, c: &mut Ctx) {
    let up = r.chance(0.5);
    c.set("dir", if up { "raises" } else { "cuts" });
    c.set("dir_n", if up { "rise" } else { "cut" });
    c.set("dir_ed", if up { "raised" } else { "cut" });
    percent(r, c, "rate", 1.5, 7.5);
    percent(r, c, "inflation", 1.8, 9.5);
    let office = format!(
        "central bank governor of {}",
        c.get("country").unwrap_or("")
    );
    c.foreign_office("governor", "governor_last", "", &office);
}

const RATES: Topic = Topic {
    id: "central-bank",
    tags: &["Economy"],
    setup: rates,
    angles: &[Angle {
        headlines: &[
            "{^country}'s central bank {dir} interest rates to {rate}%",
            "{adj} rate {dir_n}: borrowing costs now {rate}% as inflation hits {inflation}%",
            "Central bank in {capital} {dir} rates to {rate}%",
            "{governor} defends rate {dir_n} in {country}",
        ],
        standfirsts: &["The bank says inflation of {inflation}% means it has had to act."],
        openers: &[
            "The central bank of {country} has {dir_ed} interest rates to {rate}%, with inflation running at {inflation}%.",
        ],
        extra: &[],
    }],
    details: &[
        "The decision was taken by a majority of the bank's rate-setting committee.",
        "Inflation in {country} stands at {inflation}%, driven by food and energy prices.",
        "The {adj} currency moved sharply on the news.",
        "Economists had been divided over whether the bank would act this month.",
        "Businesses say high borrowing costs are holding back investment.",
        "Homeowners with variable-rate mortgages will see their payments change next month.",
    ],
    quotes: &[
        "\"Our job is to bring inflation back to target, and we will do what is necessary,\" said {governor}, the bank's governor.",
        "\"The bank faces a very difficult balancing act,\" said one economist in {capital}.",
    ],
    subheads: &["Why rates changed", "What it means"],
    closers: &[
        "The bank's next decision is due in six weeks.",
        "Markets are now betting on further changes later in the year.",
    ],
};
