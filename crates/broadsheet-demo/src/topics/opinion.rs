//! Opinion section: columns written in the first person about life in
//! Kelderby and the Kelder Valley.

use super::{Angle, Topic, int, small};
use crate::rng::Rng;
use crate::text::Ctx;

pub(super) const TOPICS: &[Topic] = &[
    LIBRARIES,
    CYCLING,
    HIGH_STREET,
    PHONES,
    LOCAL_NEWS,
    HOUSING,
    PARKS,
];

fn common(r: &mut Rng, c: &mut Ctx) {
    small(r, c, "years", 3, 9);
    int(r, c, "decades", 12, 45);
    c.person_g(r, "friend", "friend_last", "", "", true);
}

fn libraries(r: &mut Rng, c: &mut Ctx) {
    common(r, c);
    c.pick(
        r,
        "building",
        &[
            "library",
            "swimming pool",
            "museum",
            "community centre",
            "youth club",
        ],
    );
    int(r, c, "visits", 20_000, 140_000);
}

const LIBRARIES: Topic = Topic {
    id: "op-services",
    tags: &["Columnists", "Kelderby City Council"],
    setup: libraries,
    angles: &[Angle {
        headlines: &[
            "Close {town}'s {building} and you close a door on the future",
            "What the {town} {building} taught me about community",
            "The {building} in {town} is worth every penny. Here's why",
            "Before we cut the {building} in {town}, count what it gives back",
            "{visits} visits a year: the {town} {building} is no luxury",
        ],
        standfirsts: &[
            "Public buildings like the {building} in {town} are where a town meets itself, and we lose them at our peril.",
            "Councils face impossible choices, but some services repay their cost many times over.",
        ],
        openers: &[
            "I first walked into the {building} in {town} as a child, clutching my mother's hand, and I have been going back for {decades} years.",
            "Every town has a building that quietly holds it together. In {town}, it is the {building}.",
        ],
        extra: &[],
    }],
    details: &[
        "The {building} recorded {visits} visits last year. That is not a service in decline; it is a service in demand.",
        "On a wet Tuesday morning you will find toddlers at a singing session, job seekers at the computers and pensioners reading the paper.",
        "I understand the pressure on the council's budget. Nobody who has read the figures could pretend otherwise.",
        "But closing a building is easy. Bringing one back is almost impossible.",
        "When my friend {friend} lost her job, it was at the {building} that she found help writing her CV.",
        "There are alternatives: shared buildings, volunteer hours, partnerships with schools.",
        "What we should not do is pretend that a website can replace a warm room and a friendly face.",
        "Other towns in the Kelder Valley have found ways to keep their doors open. {town} can too.",
    ],
    quotes: &[
        "\"It's the only place I talk to anyone all week,\" one regular told me.",
        "\"If you take it away, you take away the heart of the place,\" said {friend}.",
    ],
    subheads: &["Counting the real cost", "A better way"],
    closers: &[
        "So, councillors: count the visits, not just the costs. Then decide.",
        "Use it or lose it, they say. {town} is using it. Now it is up to the council not to lose it.",
    ],
};

fn cycling(r: &mut Rng, c: &mut Ctx) {
    common(r, c);
    int(r, c, "miles", 2, 14);
    int(r, c, "lanes", 3, 40);
}

const CYCLING: Topic = Topic {
    id: "op-cycling",
    tags: &["Columnists", "Transport"],
    setup: cycling,
    angles: &[Angle {
        headlines: &[
            "My {miles}-mile ride from {town} shows why Kelderby needs proper cycle lanes",
            "Painted lines are not cycle lanes, and {town} deserves better",
            "Kelderby could be a great cycling city, starting with the road to {town}",
            "I gave up my car in {town} for {years} weeks. Here is what I learned",
            "{lanes} miles of cycle lane is not enough for a city of Kelderby's size",
        ],
        standfirsts: &[
            "Getting around without a car should be a choice everyone can make, not an act of bravery.",
        ],
        openers: &[
            "Every weekday for {years} years I have cycled the {miles} miles from {town} into Kelderby city centre.",
            "{^years} weeks ago I handed my car keys to my partner and promised to get around {town} by bike and bus.",
        ],
        extra: &[],
    }],
    details: &[
        "The city has {lanes} miles of cycle lane, much of it a painted strip that disappears at the first junction.",
        "I am not a lycra-clad enthusiast. I am a middle-aged commuter who would like to arrive at work alive.",
        "Every new estate on the edge of {town} is designed around the car, and we wonder why traffic keeps growing.",
        "Where proper, separated lanes have been built, the numbers of people cycling have risen sharply.",
        "Shopkeepers worry about losing parking, but people on foot and bike spend more over a month than drivers.",
        "The canal towpath is lovely on a summer evening, and a mud bath in January.",
        "None of this is about punishing drivers. It is about giving people a real choice.",
    ],
    quotes: &[
        "\"I'd love to cycle my kids to school, but not on that road,\" a parent told me at the school gate.",
        "\"Build it safely and people will use it,\" said my friend {friend}, who manages a bike shop.",
    ],
    subheads: &["A city built for cars", "What would work"],
    closers: &[
        "Kelderby has the hills, the views and the ambition. It just needs the lanes.",
        "See you on the towpath, mud and all.",
    ],
};

fn high_street(r: &mut Rng, c: &mut Ctx) {
    common(r, c);
    int(r, c, "empty", 6, 40);
}

const HIGH_STREET: Topic = Topic {
    id: "op-high-street",
    tags: &["Columnists", "Retail"],
    setup: high_street,
    angles: &[Angle {
        headlines: &[
            "With {empty} empty shops, {town}'s high street needs more than grants",
            "{empty} empty shops in {town}: it's time to think differently",
            "Why I still shop in {town} on a Saturday, and you should too",
            "The high street of {town} is not dead. It is changing",
        ],
        standfirsts: &[
            "Empty units are a symptom, and the cure lies in giving people reasons to come back.",
        ],
        openers: &[
            "On {street} in {town} I counted {empty} empty shops last Saturday.",
            "I grew up with a {town} high street that had three butchers, two bakers and a shop that sold nothing but buttons.",
        ],
        extra: &[],
    }],
    details: &[
        "Nostalgia will not fill an empty shop, and it would be dishonest to pretend the old days are coming back.",
        "Business rates were designed for a world before the internet, and it shows.",
        "The most successful towns have turned empty units into workshops, studios, clinics and homes.",
        "The Saturday market in {town} is busier than it has been for years. That tells us something.",
        "Landlords who leave units empty for years, waiting for a national chain, are part of the problem.",
        "I would rather see a pop-up repair café than another boarded window.",
        "Parking charges matter less than we think. What matters is whether there is something worth stopping for.",
    ],
    quotes: &[
        "\"People come for the market and stay for a coffee. We just need more reasons,\" a stallholder told me.",
        "\"We need landlords to be realistic,\" said {friend}, who runs a café in {town}.",
    ],
    subheads: &["What has gone wrong", "Reasons to return"],
    closers: &[
        "I will be on {street} on Saturday. Come and say hello.",
        "A high street is what we make it. Let's make {town}'s worth visiting.",
    ],
};

fn phones(r: &mut Rng, c: &mut Ctx) {
    common(r, c);
    int(r, c, "age", 11, 15);
}

const PHONES: Topic = Topic {
    id: "op-phones",
    tags: &["Columnists", "Education"],
    setup: phones,
    angles: &[Angle {
        headlines: &[
            "My {age}-year-old's phone ban was the best thing that happened to her {town} school",
            "We tell {town}'s teenagers to put down their phones. What about us?",
            "A year without phones in {town} classrooms: what changed",
            "Locking phones away in {town}'s schools is not a punishment but a gift",
        ],
        standfirsts: &[
            "The evidence on smartphones and young people is mixed, but the view from the school gate is clear.",
        ],
        openers: &[
            "When my daughter's school in {town} announced that phones would be locked away during the day, I braced myself for a revolt.",
            "Last week I watched a table of teenagers in a {town} café, all silent, all scrolling.",
        ],
        extra: &[],
    }],
    details: &[
        "The revolt never came. Within a month, the corridors were louder, and the good kind of louder.",
        "Teachers tell me lessons start faster and there are fewer fallouts that begin online and end in the playground.",
        "I am wary of moral panics. Every generation worries about the technology of the next.",
        "But it is hard to argue with children who say they feel calmer without the constant buzz.",
        "The harder question is for us adults, who check our phones at the dinner table and then lecture our children.",
        "Phones are not the enemy. They are tools, and young people need to learn to use them well.",
    ],
    quotes: &[
        "\"At first I hated it. Now I don't really think about it,\" my {age}-year-old told me.",
        "\"Break times are different now. They actually play,\" said {friend}, a teacher.",
    ],
    subheads: &["What the teachers say", "A lesson for parents"],
    closers: &[
        "Tonight, my phone goes in the kitchen drawer. I'll let you know how I get on.",
        "The children, it turns out, are fine. It is the rest of us who need the lesson.",
    ],
};

fn local_news(r: &mut Rng, c: &mut Ctx) {
    common(r, c);
    int(r, c, "meetings", 20, 90);
}

const LOCAL_NEWS: Topic = Topic {
    id: "op-local-news",
    tags: &["Columnists", "Community"],
    setup: local_news,
    angles: &[Angle {
        headlines: &[
            "Who will sit through {meetings} council meetings a year if local reporters don't?",
            "{meetings} meetings a year: why a local paper still matters in {town}",
            "{decades} years of reporting on the Kelder Valley taught me this",
            "Local news is the first draft of {town}'s history",
        ],
        standfirsts: &["Somebody has to be in the room when decisions are made about our towns."],
        openers: &[
            "I have covered the Kelder Valley for {decades} years, and I have sat through more council meetings than I care to count.",
        ],
        extra: &[],
    }],
    details: &[
        "Last year our reporters attended {meetings} meetings of councils, health boards and planning committees.",
        "Most were dull. A few changed the lives of people in {town} and beyond.",
        "Without someone taking notes, a decision about a school or a bus route can slip through unnoticed.",
        "Social media is fast, but it is not the same as checking facts and asking awkward questions.",
        "Readers sometimes tell me we only report bad news. Look again: we report the fundraisers, the results and the reopenings too.",
        "Journalism costs money. If you value it, the best thing you can do is pay for it.",
    ],
    quotes: &[
        "\"I only found out about the plan because I read it in the paper,\" a reader told me last month.",
        "\"We need people holding us to account. It makes us better,\" a councillor once admitted to me.",
    ],
    subheads: &["Being in the room", "What you can do"],
    closers: &[
        "Thank you for reading. Keep telling us what matters to you.",
        "See you at the next council meeting. Bring a flask.",
    ],
};

fn housing(r: &mut Rng, c: &mut Ctx) {
    common(r, c);
    int(r, c, "rent", 650, 1_300);
    int(r, c, "age", 24, 36);
}

const HOUSING: Topic = Topic {
    id: "op-housing",
    tags: &["Columnists", "Housing"],
    setup: housing,
    angles: &[Angle {
        headlines: &[
            "Young people can't afford to live in {town}. That should worry us all",
            "At {age}, my son still can't afford a home in {town}",
            "£{rent} a month for a flat in {town}: something has to give",
            "Build the homes {town} needs, and build them well",
        ],
        standfirsts: &[
            "If the people who grew up here cannot afford to stay, the town will slowly hollow out.",
        ],
        openers: &[
            "My son is {age}, works full time in Kelderby and still lives in his childhood bedroom in {town}.",
            "Walk down any street in {town} and you will see the letting boards, and the prices on them.",
        ],
        extra: &[],
    }],
    details: &[
        "A one-bedroom flat in {town} now costs around £{rent} a month, more than half the take-home pay of a nurse or a care worker.",
        "We complain when new estates are proposed, and we complain when our children move away. We cannot have both.",
        "The homes we build should be good homes: warm, well designed and close to buses and shops.",
        "Empty flats above shops in {town} could house dozens of people if the council and landlords worked together.",
        "Social housing is not a dirty phrase. My grandparents raised five children in a council house in {district}.",
        "Planning rules should reward developers who build genuinely affordable homes, not those with the best lawyers.",
    ],
    quotes: &[
        "\"I love this place. I just can't afford to live in it,\" a young teacher told me.",
        "\"We saved for six years and still got outbid,\" said {friend}.",
    ],
    subheads: &["Priced out", "What we could do"],
    closers: &[
        "A town that has no room for its young people has no future. It is that simple.",
        "Next time a housing plan comes up in {town}, ask who it is for, not just where it is.",
    ],
};

fn parks(r: &mut Rng, c: &mut Ctx) {
    common(r, c);
    c.pick(
        r,
        "park",
        &[
            "Hollins Park",
            "Castle Gardens",
            "Riverside Meadows",
            "the Beck Woods",
            "Mill Hill Rec",
        ],
    );
    int(r, c, "acres", 4, 90);
}

const PARKS: Topic = Topic {
    id: "op-parks",
    tags: &["Columnists", "Environment"],
    setup: parks,
    angles: &[Angle {
        headlines: &[
            "{acres} acres of {park} are Kelderby's back garden. Let's look after them",
            "A dawn walk in {park} is the best free medicine in the Kelder Valley",
            "{acres} acres of green: why {park} matters more than ever",
            "Hands off {park}: {acres} acres of green space is not spare land",
        ],
        standfirsts: &["Parks are not a luxury but the places where a city breathes."],
        openers: &[
            "At half past six on a {weekday} morning, {park} belongs to the dog walkers, the runners and the blackbirds.",
        ],
        extra: &[],
    }],
    details: &[
        "Its {acres} acres have been a place of escape for generations of Kelderby families.",
        "The bandstand needs paint, and the toilets need more than that.",
        "Friends groups do extraordinary work, but volunteers cannot replace a properly funded parks team.",
        "Doctors in the city now prescribe walks in the park for patients with anxiety.",
        "Every few years someone suggests selling a corner of it for housing or parking. Every time, residents say no.",
        "On a summer evening you will hear a dozen languages on the grass. That is the city at its best.",
    ],
    quotes: &[
        "\"I come here every day. It keeps me going,\" an elderly man on a bench told me.",
        "\"It's the one place the kids can run about safely,\" said {friend}, a mum from {district}.",
    ],
    subheads: &["A place to breathe", "Who pays?"],
    closers: &[
        "Go for a walk in {park} this weekend. Then tell your councillor what you found.",
        "Look after {park}, and it will go on looking after us.",
    ],
};
