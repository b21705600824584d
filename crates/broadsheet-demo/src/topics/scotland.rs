//! Scotland section: ferries, islands, distilleries, fishing, energy and
//! politics, set in fictional Scottish towns and islands.

use super::{Angle, Topic, int, millions, percent, pounds, resolve, small};
use crate::rng::Rng;
use crate::text::Ctx;

pub(super) const TOPICS: &[Topic] = &[FERRY, DISTILLERY, WIND, FISHING, RURAL_SCHOOL, HOLYROOD];

fn ferry(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "vessel",
        &[
            "MV Sula",
            "MV Lord of the Isles",
            "MV Carrach Maid",
            "MV Hebridean Star",
            "MV Morven",
            "MV Loch Tarsay",
        ],
    );
    small(r, c, "days", 2, 9);
    int(r, c, "sailings", 12, 140);
    c.pick(
        r,
        "fault",
        &[
            "an engine fault",
            "a problem with the car deck ramp",
            "storm damage to the pier",
            "a steering fault",
            "a shortage of crew",
        ],
    );
    c.person(r, "islander", "islander_last", "", "");
    c.office(
        "minister",
        "minister_last",
        "",
        "",
        "Scottish transport minister",
        None,
    );
    c.person(r, "boss", "boss_last", "", "");
    millions(r, c, "vessel_cost", 40.0, 180.0);
}

const FERRY: Topic = Topic {
    id: "ferry",
    tags: &["Westmor Ferries", "Highlands and Islands", "Transport"],
    setup: ferry,
    angles: &[
        Angle {
            headlines: &[
                "Isle of {island} ferry cancelled for {days} days after {fault}",
                "Islanders on {island} 'cut off' as {vessel} is withdrawn",
                "{sailings} sailings to {island} lost as Westmor Ferries fleet hit by {fault}",
            ],
            standfirsts: &[
                "Westmor Ferries says the {vessel} will be out of service while repairs are carried out.",
                "Businesses on {island} say the disruption could not have come at a worse time.",
            ],
            openers: &[
                "Ferry services between {stown} and the Isle of {island} have been cancelled for {days} days after the {vessel} suffered {fault}.",
                "Islanders on {island} say they have been left cut off after Westmor Ferries withdrew the {vessel} because of {fault}.",
            ],
            extra: &[
                "Westmor Ferries said {sailings} sailings had been cancelled so far this month.",
            ],
        },
        Angle {
            headlines: &[
                "{vessel_cost} order for new {island} ferry to be built in Scotland",
                "New {vessel_cost} ferry for {island} 'two years late', ministers admit",
            ],
            standfirsts: &["Islanders say the route has relied on an ageing vessel for too long."],
            openers: &[
                "The Scottish Government has confirmed a {vessel_cost} order for a new ferry to serve the Isle of {island}.",
            ],
            extra: &["The current vessel on the route, the {vessel}, is more than 30 years old."],
        },
    ],
    details: &[
        "The island has a population of around 2,000, and the ferry is its only link to the mainland for goods and vehicles.",
        "Hauliers say supermarket deliveries to the island have been delayed.",
        "{islander}, who runs a guest house on {island}, said visitors had cancelled bookings.",
        "A passenger-only service is being provided by a smaller vessel when weather allows.",
        "Patients with hospital appointments in {stown} are being prioritised for the limited places.",
        "The disruption has renewed calls for the Scottish Government to speed up the replacement of older vessels.",
    ],
    quotes: &[
        "\"We are very sorry for the disruption and are doing all we can to get the vessel back in service,\" said {boss}, operations director of Westmor Ferries.",
        "\"We are an island. When the ferry stops, everything stops,\" said {islander}.",
        "\"I understand the frustration of island communities, and I am determined to improve reliability,\" said {minister}, the transport minister.",
    ],
    subheads: &["Impact on islanders", "An ageing fleet"],
    closers: &[
        "Passengers are advised to check the Westmor Ferries website for the latest service updates.",
        "Westmor Ferries said it would update passengers on {next_day}.",
    ],
};

fn distillery(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "distillery",
        &[
            "Glenmorrow",
            "Strathcairn",
            "Ardlochan",
            "Kilbrannan",
            "Lochgarve",
            "Auchterlie",
        ],
    );
    millions(r, c, "invest", 4.0, 60.0);
    int(r, c, "jobs", 12, 140);
    int(r, c, "bottles", 150, 2_400);
    c.person(r, "md", "md_last", "", "");
    c.person(r, "cllr", "cllr_last", "Councillor ", "Councillor ");
    small(r, c, "years", 2, 5);
}

const DISTILLERY: Topic = Topic {
    id: "distillery",
    tags: &["Jobs", "Economy", "Highlands and Islands"],
    setup: distillery,
    angles: &[
        Angle {
            headlines: &[
                "{distillery} distillery unveils {invest} expansion creating {jobs} jobs",
                "{jobs} new jobs as {distillery} whisky maker doubles capacity",
                "{invest} boost for {stown} as {distillery} distillery expands",
            ],
            standfirsts: &[
                "The distillery says the investment will secure its future for a generation.",
                "Production is expected to rise to {bottles},000 bottles a year.",
            ],
            openers: &[
                "The {distillery} distillery near {stown} is to invest {invest} in an expansion that will create {jobs} jobs.",
            ],
            extra: &["Work is expected to be completed within {years} years."],
        },
        Angle {
            headlines: &[
                "{distillery} visitor centre opens with {jobs} jobs as whisky tourism booms",
                "Whisky tourists flock to {stown} as {distillery} opens doors",
            ],
            standfirsts: &[
                "The visitor centre is expected to attract tens of thousands of people a year.",
            ],
            openers: &[
                "A new visitor centre has opened at the {distillery} distillery near {stown}, creating {jobs} jobs.",
            ],
            extra: &["The centre includes a shop, a café and guided tours of the stillhouse."],
        },
    ],
    details: &[
        "The distillery was founded in the 19th century and has been in the same family for four generations.",
        "The plans include new stills, a bottling hall and warehouses for maturing spirit.",
        "Local councillors welcomed the investment, saying well-paid jobs were badly needed in the area.",
        "Exports to North America and Asia now account for most of the distillery's sales.",
        "The company says it will use heat recovered from its stills to warm nearby homes.",
        "Barley for the distillery is grown on farms around {stown2}.",
    ],
    quotes: &[
        "\"This is a vote of confidence in {stown} and in the people who work here,\" said {md}, managing director.",
        "\"These are exactly the kind of jobs that keep young people in rural communities,\" said {cllr}.",
        "\"Whisky is a long game. What we lay down today will be enjoyed in 12 years' time,\" said {md_last}.",
    ],
    subheads: &["Jobs boost", "A growing market"],
    closers: &[
        "The company plans to hold a recruitment day in {stown} next month.",
        "Planning permission for the expansion was granted earlier this year.",
    ],
};

fn wind(r: &mut Rng, c: &mut Ctx) {
    int(r, c, "turbines", 8, 60);
    int(r, c, "mw", 40, 480);
    c.pick(
        r,
        "hill",
        &[
            "Ben Carrach",
            "the Strathcairn hills",
            "Dunmorrie Moor",
            "Sgurr na Faire",
            "Craigmuir Forest",
        ],
    );
    c.pick(
        r,
        "developer",
        &[
            "Caledonia Green Power",
            "Highland Wind Partners",
            "North Sea Renewables",
        ],
    );
    int(r, c, "homes", 20_000, 300_000);
    pounds(r, c, "fund", 100_000, 1_500_000, 50_000);
    c.person(r, "objector", "objector_last", "", "");
    c.person(r, "dev_boss", "dev_boss_last", "", "");
}

const WIND: Topic = Topic {
    id: "wind-farm",
    tags: &["Energy", "Environment", "Scottish Government"],
    setup: wind,
    angles: &[
        Angle {
            headlines: &[
                "{turbines}-turbine wind farm on {hill} given go-ahead",
                "Ministers approve {mw}MW wind farm near {stown} despite objections",
            ],
            standfirsts: &["The developer says the scheme could power {homes} homes."],
            openers: &[
                "Plans for a {turbines}-turbine wind farm on {hill} near {stown} have been approved by Scottish ministers.",
            ],
            extra: &["Construction is expected to begin next year."],
        },
        Angle {
            headlines: &[
                "{stown} residents fight plans for {turbines} turbines on {hill}",
                "Campaigners say {hill} wind farm would 'ruin' views from {stown}",
            ],
            standfirsts: &["Campaigners say the turbines would damage tourism and wildlife."],
            openers: &[
                "Residents in {stown} have launched a campaign against plans for {turbines} wind turbines on {hill}.",
            ],
            extra: &["A public inquiry is likely if the local council objects."],
        },
    ],
    details: &[
        "The turbines would be up to 200 metres tall and would generate up to {mw} megawatts, enough for {homes} homes.",
        "{^developer} has offered a community benefit fund worth {fund} a year.",
        "Nature groups have raised concerns about the impact on golden eagles and peatland.",
        "The developer says it would restore areas of damaged peat as part of the scheme.",
        "Scotland already has more onshore wind capacity than the rest of the UK combined.",
        "Upgrades to the electricity grid would be needed to carry power south.",
    ],
    quotes: &[
        "\"This project will deliver clean energy and real benefits for the local community,\" said {dev_boss}, of {developer}.",
        "\"Nobody here is against renewable energy, but this is the wrong place,\" said {objector}, a campaigner from {stown}.",
    ],
    subheads: &["Community benefit", "Environmental concerns"],
    closers: &[
        "The application can be viewed on the Scottish Government's energy consents website.",
        "{^developer} said it would continue to engage with the community.",
    ],
};

fn fishing(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "port",
        &["Port Ellary", "Kilbrannan", "Lochgarve", "Balnacraig"],
    );
    c.pick(
        r,
        "species",
        &["mackerel", "langoustine", "haddock", "herring", "scallops"],
    );
    percent(r, c, "change", 5.0, 32.0);
    millions(r, c, "landings", 8.0, 90.0);
    int(r, c, "boats", 12, 80);
    c.person(r, "skipper", "skipper_last", "", "");
    c.person(r, "fed", "fed_last", "", "");
}

const FISHING: Topic = Topic {
    id: "fishing",
    tags: &["Fishing", "Highlands and Islands"],
    setup: fishing,
    angles: &[
        Angle {
            headlines: &[
                "{^species} catch limits cut by {change}% in blow to {port} fleet",
                "{port} skippers fear for future after {change}% {species} quota cut",
            ],
            standfirsts: &[
                "Fishermen say the decision will cost jobs in some of Scotland's most remote communities.",
            ],
            openers: &[
                "Catch limits for {species} are to be cut by {change}% next year, in a blow to the fishing fleet at {port}.",
            ],
            extra: &["Scientists advised the cut because of concerns about the health of stocks."],
        },
        Angle {
            headlines: &[
                "Record year for {port} as {species} landings reach {landings}",
                "{port} harbour expansion planned after {landings} {species} boom",
            ],
            standfirsts: &["The harbour authority says it needs more space to cope with demand."],
            openers: &[
                "Fish landed at {port} were worth {landings} last year, driven by strong demand for {species}.",
            ],
            extra: &["Landings of {species} rose by {change}% on the previous year."],
        },
    ],
    details: &[
        "{^boats} boats operate out of {port}, supporting hundreds of jobs in processing and transport.",
        "Much of the catch is exported to Europe, with lorries leaving {port} every night.",
        "{skipper}, who has fished out of {port} for 30 years, said fuel costs had nearly doubled.",
        "The industry has struggled to recruit young people, with many crews now relying on workers from overseas.",
        "A new ice plant and fish market are planned for the harbour.",
        "The fishermen's federation said it would keep pressing for fairer access to fishing grounds.",
    ],
    quotes: &[
        "\"Fishing is the lifeblood of this town. Without it, there's not much left,\" said {skipper}.",
        "\"We need decisions based on the best science, but also on the needs of fishing communities,\" said {fed}, of the Scottish Fishermen's Federation.",
    ],
    subheads: &["Life at sea", "What the industry says"],
    closers: &[
        "Catch limits are reviewed every year.",
        "The harbour authority will publish its annual report next month.",
    ],
};

fn rural_school(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "sschool",
        &[
            "{island} Primary School",
            "{stown2} Primary School",
            "Glen {stown2} School",
            "Upper {stown2} Primary School",
        ],
    );
    resolve(c, "sschool");
    small(r, c, "pupils", 4, 9);
    int(r, c, "miles", 12, 48);
    c.person(r, "parent", "parent_last", "", "");
    c.person(r, "cllr", "cllr_last", "Councillor ", "Councillor ");
    pounds(r, c, "cost", 80_000, 450_000, 1_000);
}

const RURAL_SCHOOL: Topic = Topic {
    id: "rural-school",
    tags: &["Schools", "Education", "Highlands and Islands"],
    setup: rural_school,
    angles: &[
        Angle {
            headlines: &[
                "Parents fight closure of {sschool} with just {pupils} pupils",
                "'Heart of the community': campaign to save {sschool} and its {pupils} pupils",
                "Council consults on future of {sschool}",
            ],
            standfirsts: &[
                "The council says the school costs {cost} a year to run, but parents say it is the heart of the community.",
            ],
            openers: &[
                "Parents have launched a campaign to save {sschool}, which the council says could close because it has only {pupils} pupils.",
            ],
            extra: &["If the school closes, children would travel {miles} miles a day to {stown}."],
        },
        Angle {
            headlines: &[
                "{sschool} and its {pupils} pupils saved as councillors reject closure",
                "Reprieve for {sschool} and its {pupils} pupils after campaign by parents",
            ],
            standfirsts: &["Councillors said the school was vital to the future of the community."],
            openers: &[
                "{^sschool}, which has {pupils} pupils, will stay open after councillors voted against closing it.",
            ],
            extra: &[
                "The closure would have meant children travelling {miles} miles a day to {stown}.",
            ],
        },
    ],
    details: &[
        "The school runs at a cost of {cost} a year, according to council figures.",
        "Several young families have moved to the area recently, and parents say numbers will rise.",
        "The school building is also used for community events and a weekly clinic.",
        "{parent}, whose son attends the school, said the journey to {stown} would be long in winter.",
        "Rural schools in Scotland have a presumption against closure under national law.",
    ],
    quotes: &[
        "\"If the school goes, young families won't come, and then the community dies,\" said {parent}.",
        "\"We have to look at every option to make sure children get the best education,\" said {cllr}.",
    ],
    subheads: &["A small school", "What parents say"],
    closers: &[
        "The council's education committee will discuss the issue next month.",
        "The community plans a celebration at the school.",
    ],
};

fn holyrood(r: &mut Rng, c: &mut Ctx) {
    c.person(r, "msp", "msp_last", "", "");
    c.person(r, "minister", "minister_last", "", "");
    c.pick(
        r,
        "policy",
        &[
            "free school meals",
            "rural broadband",
            "island housing",
            "mental health services for young people",
            "dualling the A-road to {stown}",
            "GP recruitment in rural areas",
        ],
    );
    resolve(c, "policy");
    millions(r, c, "amount", 5.0, 240.0);
    c.pick(
        r,
        "party",
        &["the opposition", "the Greens", "opposition parties"],
    );
}

const HOLYROOD: Topic = Topic {
    id: "holyrood",
    tags: &["Scottish Government", "Politics"],
    setup: holyrood,
    angles: &[Angle {
        headlines: &[
            "Scottish Government pledges {amount} for {policy}",
            "MSPs clash over {amount} plan for {policy}",
            "{minister} defends record on {policy} at Holyrood",
            "'Not enough': {party} criticise {amount} plan for {policy}",
        ],
        standfirsts: &[
            "Ministers say the money will make a real difference, but critics say it falls short.",
            "The announcement was made during a debate at Holyrood on {prev_day}.",
        ],
        openers: &[
            "The Scottish Government has pledged {amount} for {policy}, {minister} has announced.",
        ],
        extra: &[],
    }],
    details: &[
        "The money will be spread over three years, with the first funding available from April.",
        "{msp}, an opposition MSP for a Highland seat, said the plan lacked detail.",
        "Ministers said the funding showed their commitment to rural and island communities.",
        "Councils will be asked to bid for a share of the money.",
        "The policy was a key commitment in the government's programme for the year.",
        "Audit officials have previously warned about delays in similar schemes.",
    ],
    quotes: &[
        "\"This is a significant investment that will make a real difference to people across Scotland,\" said {minister}.",
        "\"People in {stown} have heard promises like this before. They want to see delivery,\" said {msp}.",
    ],
    subheads: &["What the money will pay for", "Opposition response"],
    closers: &[
        "MSPs will vote on the budget later this month.",
        "Further details will be set out in the coming weeks.",
    ],
};
