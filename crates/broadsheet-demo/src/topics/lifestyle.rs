//! Lifestyle section: food and drink, travel and walks, homes and gardens.

use super::{Angle, Topic, int, month_num, pounds, small};
use crate::rng::Rng;
use crate::text::Ctx;

pub(super) const TOPICS: &[Topic] = &[REVIEW, RECIPE, WALK, BREAK, HOME, GARDEN];

fn review(r: &mut Rng, c: &mut Ctx) {
    let a = *r.pick(&[
        "Copper", "Salt", "Old", "Green", "Black", "Wild", "Little", "Golden", "Stone", "Blue",
        "Hungry", "Red",
    ]);
    let b = *r.pick(&[
        "Kettle", "House", "Mill", "Fox", "Larder", "Table", "Heron", "Pantry", "Anchor", "Oak",
        "Lantern", "Barrel",
    ]);
    c.set("restaurant", format!("The {a} {b}"));
    c.pick(
        r,
        "cuisine",
        &[
            "modern British",
            "Italian",
            "Turkish",
            "Indian",
            "seafood",
            "Korean",
            "Spanish tapas",
            "vegetarian",
        ],
    );
    c.pick(
        r,
        "dish",
        &[
            "slow-cooked lamb shoulder",
            "a crab linguine",
            "a smoked haddock chowder",
            "a mushroom and ale pie",
            "a lamb biryani",
            "charred hispi cabbage",
            "a perfect fish and chips",
            "braised short rib",
        ],
    );
    c.pick(
        r,
        "pudding",
        &[
            "sticky toffee pudding",
            "a rhubarb crumble",
            "a dark chocolate tart",
            "a lemon posset",
            "a pistachio ice cream",
        ],
    );
    pounds(r, c, "bill", 38, 140, 1);
    int(r, c, "score", 6, 9);
    c.person(r, "chef", "chef_last", "", "");
}

const REVIEW: Topic = Topic {
    id: "restaurant-review",
    tags: &["Food and drink", "Restaurants"],
    setup: review,
    angles: &[Angle {
        headlines: &[
            "Restaurant review: {restaurant}, {town}",
            "{restaurant} in {town} serves the best {dish} I've had this year",
            "Eating out: {cuisine} cooking with heart at {restaurant}, {town}",
            "{restaurant}, {town}: {score} out of ten for this {cuisine} newcomer",
        ],
        standfirsts: &[
            "A relaxed {cuisine} restaurant in {town} where the cooking does the talking.",
            "Our reviewer finds generous portions and friendly service in {town}.",
        ],
        openers: &[
            "{restaurant} sits on a quiet corner of {street} in {town}, in a building that has been a bank, a shoe shop and, briefly, a tanning salon.",
            "It was raining sideways when we arrived at {restaurant} in {town}, and the welcome could not have been warmer.",
        ],
        extra: &[],
    }],
    details: &[
        "Chef {chef} opened the restaurant two years ago after a decade cooking in Kelderby and further afield.",
        "The menu is short, which is always a good sign, and changes with the seasons.",
        "We started with bread still warm from the oven and a bowl of local butter.",
        "The star of the show was {dish}, rich and beautifully seasoned.",
        "{^pudding} was the kind you want to order again immediately.",
        "Service was friendly and unhurried, and the staff clearly knew the menu well.",
        "The wine list is sensibly priced, with several bottles from small producers.",
        "Our bill for two, with drinks, came to {bill}.",
    ],
    quotes: &[
        "\"We buy as much as we can from farms within 20 miles,\" {chef_last} told me.",
        "\"We wanted a place where people feel at home,\" says {chef}.",
    ],
    subheads: &["The food", "The verdict"],
    closers: &[
        "Verdict: {score}/10. Booking is recommended at weekends.",
        "{restaurant}, {street}, {town}. Score: {score}/10.",
    ],
};

fn recipe(r: &mut Rng, c: &mut Ctx) {
    let m = month_num(c);
    let season = match m {
        12 | 1 | 2 => "winter",
        3..=5 => "spring",
        6..=8 => "summer",
        _ => "autumn",
    };
    c.set("season", season);
    let dishes: &[&str] = match season {
        "winter" => &[
            "beef and ale stew",
            "parsnip and apple soup",
            "leek and potato pie",
            "braised red cabbage",
            "lamb hotpot",
            "ginger parkin",
            "barley and mushroom broth",
            "cheese and onion pasties",
        ],
        "spring" => &[
            "wild garlic pesto",
            "rhubarb and ginger crumble",
            "pea and mint risotto",
            "new potato salad",
            "asparagus tart",
            "spring lamb stew",
            "lemon drizzle cake",
            "nettle soup",
        ],
        "summer" => &[
            "strawberry and elderflower trifle",
            "grilled mackerel with salsa verde",
            "courgette and feta tart",
            "chilled tomato soup",
            "crab salad",
            "gooseberry fool",
            "barbecued chicken thighs",
            "broad bean and mint dip",
        ],
        _ => &[
            "pumpkin and sage pasta",
            "apple and blackberry cake",
            "mushroom stroganoff",
            "slow-roast pork belly",
            "beetroot and goat's cheese salad",
            "damson crumble",
            "cauliflower cheese",
            "venison casserole",
        ],
    };
    let d = *r.pick(dishes);
    c.set("dish", d);
    small(r, c, "serves", 2, 6);
    int(r, c, "mins", 20, 120);
    c.person(r, "cook", "cook_last", "", "");
}

const RECIPE: Topic = Topic {
    id: "recipe",
    tags: &["Food and drink"],
    setup: recipe,
    angles: &[Angle {
        headlines: &[
            "Recipe: {cook}'s {dish}",
            "{cook}'s {dish} is ready in {mins} minutes",
            "What to cook this week: {dish} from {cook}",
            "A taste of {town}: {cook}'s {dish}",
        ],
        standfirsts: &[
            "A simple, seasonal dish that serves {serves} and is ready in about {mins} minutes.",
        ],
        openers: &[
            "There are few things more comforting on a {season} evening than homemade {dish}, and this version is as easy as it gets.",
        ],
        extra: &[],
    }],
    details: &[
        "This recipe serves {serves} and takes about {mins} minutes from start to finish.",
        "Buy the best ingredients you can afford. The farmers' market in {town} is a good place to start.",
        "Start by preparing all of your ingredients, so everything is ready to go.",
        "Cook gently, stirring now and then, until everything is tender.",
        "Taste as you go and season well: a pinch of salt makes a surprising difference.",
        "Leftovers keep well in the fridge for two days and often taste even better.",
        "Serve with crusty bread or a simple green salad.",
    ],
    quotes: &[
        "\"Good food doesn't need to be complicated. It needs to be cooked with care,\" says {cook}.",
        "\"This is the dish my family asks for every {season},\" says {cook_last}.",
    ],
    subheads: &["Ingredients", "Method", "Tips"],
    closers: &[
        "Recipe by {cook}, who runs cookery classes in {town}.",
        "Share your photos of the finished dish with us.",
    ],
};

fn walk(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "route",
        &[
            "Ashby Moor circular",
            "Kelder Edge ridge",
            "Thorn Beck waterfalls",
            "Saltby clifftop path",
            "Wrayton Pike horseshoe",
            "Old Packhorse Trail",
        ],
    );
    let miles = r.range(3, 12);
    c.set("miles", miles.to_string());
    c.set("hours", (miles / 2).max(1).to_string());
    c.pick(
        r,
        "pub",
        &[
            "the Drovers Arms",
            "the Shepherd's Rest",
            "the Fleece",
            "the Black Bull",
            "the Ferryman",
        ],
    );
    c.pick(r, "grade", &["easy", "moderate", "challenging"]);
}

const WALK: Topic = Topic {
    id: "walk",
    tags: &["Walking", "Travel"],
    setup: walk,
    angles: &[Angle {
        headlines: &[
            "Walk of the week: the {route}, {miles} miles",
            "Out and about: a {grade} walk on the {route} from {town}",
            "The {route}: {miles} miles of big views and a warm welcome at {pub}",
            "{miles} miles of the Kelder Valley at its best: the {route}",
        ],
        standfirsts: &["A {grade} {miles}-mile walk with big views and a good pub at the end."],
        openers: &[
            "The {route} starts in the village of {town} and climbs steadily onto open country with views across the Kelder Valley.",
        ],
        extra: &[],
    }],
    details: &[
        "The route is {miles} miles long and takes about {hours} hours at a steady pace.",
        "Park in the village car park, which has an honesty box.",
        "Follow the lane past the church before turning onto a stony track.",
        "After a mile, the path crosses a footbridge and climbs through woodland.",
        "At the top, the whole valley opens up, and on a clear day you can see the sea.",
        "Look out for curlews and lapwings in spring, and heather in late summer.",
        "The descent can be slippery after rain, so good boots are a must.",
        "Finish at {pub}, which serves food all day and welcomes dogs.",
    ],
    quotes: &[
        "\"People come for the views and come back for the peace,\" says the landlord of {pub}.",
        "\"It's my favourite walk in every season,\" says one regular walker from {town}.",
    ],
    subheads: &["The route", "Refreshments"],
    closers: &[
        "Grade: {grade}. Distance: {miles} miles. Always carry a map and check the weather before setting out.",
        "Dogs should be kept on leads near livestock.",
    ],
};

fn weekend(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "dest",
        &[
            "Carrow Sands",
            "Saltby",
            "Port Ellary",
            "Edenthwaite",
            "the Isle of Sunna",
            "Glenmorrow",
            "Ardlochan",
            "Kirkholme",
            "the Isle of Tarsay",
            "Wrayton",
        ],
    );
    pounds(r, c, "price", 85, 260, 5);
    c.pick(
        r,
        "stay",
        &[
            "a harbourside inn",
            "a converted lighthouse keeper's cottage",
            "a farmhouse B&B",
            "a small boutique hotel",
            "a shepherd's hut",
        ],
    );
    c.pick(
        r,
        "treat",
        &[
            "fish and chips on the harbour wall",
            "a boat trip to see the seals",
            "a tour of the old smokehouse",
            "a swim in the sea at sunrise",
            "afternoon tea in the castle tearoom",
        ],
    );
}

const BREAK: Topic = Topic {
    id: "weekend-break",
    tags: &["Travel", "Tourism"],
    setup: weekend,
    angles: &[Angle {
        headlines: &[
            "48 hours in {dest}: {treat} and more",
            "Weekend break: {stay} in {dest} from {price} a night",
            "{^treat} and {stay}: why {dest} should be your next weekend away",
            "{^dest} on a budget: {stay} from {price} a night",
        ],
        standfirsts: &["Sea air, good food and {stay} make for a restorative weekend."],
        openers: &["Less than two hours from Kelderby, {dest} feels like another world."],
        extra: &[],
    }],
    details: &[
        "We stayed at {stay}, with rooms from {price} a night including breakfast.",
        "The highlight of the trip was {treat}.",
        "Independent shops line the main street, selling everything from local art to hand-knitted jumpers.",
        "Book dinner in advance at weekends; the best places fill up quickly.",
        "A short walk along the coast brings you to a sandy beach that is often almost empty.",
        "The local museum is small but full of stories about the town's past.",
        "Trains and buses run from Kelderby, so you can leave the car at home.",
    ],
    quotes: &[
        "\"Visitors always say they wish they'd stayed longer,\" says the owner of our guest house.",
        "\"Come out of season. That's when it's at its best,\" says a local fisherman.",
    ],
    subheads: &["Where to stay", "Where to eat", "What to do"],
    closers: &[
        "Prices were correct at the time of writing.",
        "Our reviewer paid for their own stay.",
    ],
};

fn home(r: &mut Rng, c: &mut Ctx) {
    pounds(r, c, "price", 160_000, 1_250_000, 5_000);
    small(r, c, "beds", 2, 6);
    c.pick(
        r,
        "style",
        &[
            "Victorian terrace",
            "Georgian townhouse",
            "converted chapel",
            "stone farmhouse",
            "1930s semi",
            "barn conversion",
            "former schoolhouse",
        ],
    );
    c.pick(
        r,
        "feature",
        &[
            "original fireplaces",
            "a walled garden",
            "views across the valley",
            "a vaulted ceiling",
            "a wood-burning stove",
            "a south-facing terrace",
        ],
    );
    c.pick(
        r,
        "agent",
        &[
            "Dales & Co",
            "Kelder Property",
            "Moorland Estates",
            "Harrison Lund",
        ],
    );
}

const HOME: Topic = Topic {
    id: "home-of-the-week",
    tags: &["Homes and gardens", "Property"],
    setup: home,
    angles: &[Angle {
        headlines: &[
            "Home of the week: {beds}-bedroom {style} in {town} for {price}",
            "Inside the {price} {style} with {feature} in {town}",
            "On the market: {style} in {town} with {feature}",
            "Property: a {beds}-bedroom {style} in {town}",
        ],
        standfirsts: &[
            "This {beds}-bedroom {style} combines period character with modern comforts.",
        ],
        openers: &[
            "This {beds}-bedroom {style} in {town} is on the market for {price} with {agent}.",
        ],
        extra: &[],
    }],
    details: &[
        "The house retains many period details, including {feature}.",
        "A large kitchen and dining room at the back of the house opens onto the garden.",
        "Upstairs, the main bedroom has an en suite shower room and fitted wardrobes.",
        "The current owners have renovated the property over the past decade.",
        "The village has a primary school, a pub and a shop, and Kelderby is a 20-minute drive away.",
        "Outside, there is off-street parking and a garden shed.",
    ],
    quotes: &[
        "\"Properties like this rarely come to the market in {town},\" said a spokesperson for {agent}.",
        "\"We have loved every minute of living here,\" said the owners.",
    ],
    subheads: &["Inside", "Outside", "The area"],
    closers: &[
        "For more details, contact {agent}.",
        "Viewings are by appointment only.",
    ],
};

fn garden(r: &mut Rng, c: &mut Ctx) {
    let m = month_num(c);
    let season = match m {
        12 | 1 | 2 => "winter",
        3..=5 => "spring",
        6..=8 => "summer",
        _ => "autumn",
    };
    c.set("season", season);
    c.pick(
        r,
        "plant",
        &[
            "sweet peas",
            "tulip bulbs",
            "runner beans",
            "dahlias",
            "lavender",
            "garlic",
            "roses",
            "herbs",
        ],
    );
    c.person(r, "gardener", "gardener_last", "", "");
    small(r, c, "years", 3, 9);
}

const GARDEN: Topic = Topic {
    id: "garden",
    tags: &["Homes and gardens"],
    setup: garden,
    angles: &[Angle {
        headlines: &[
            "Gardening with {gardener}: five jobs to do this {season}",
            "How to grow {plant}: tips from a {town} allotment",
            "{gardener}'s {season} garden: {plant} and more",
            "In the garden: why now is the time for {plant}, says {gardener}",
        ],
        standfirsts: &["Our gardening columnist shares tips for the {season} months."],
        openers: &[
            "There is always something to do in the garden in {season}, and this is the perfect time to think about {plant}.",
        ],
        extra: &[],
    }],
    details: &[
        "Choose a sunny, sheltered spot and improve the soil with plenty of compost.",
        "Water regularly in dry spells, preferably in the evening.",
        "Our heavy Kelder Valley clay can be hard work, so raised beds are worth considering.",
        "Keep an eye out for slugs, especially after rain.",
        "If space is tight, most of these jobs can be done in pots on a balcony or patio.",
        "Visit the allotments in {town} for advice: gardeners there are always happy to share tips.",
        "Don't forget to leave a wild corner for insects and birds.",
    ],
    quotes: &[
        "\"The best gardeners are the ones who aren't afraid to get things wrong,\" says {gardener}, who has tended an allotment in {town} for {years} years.",
        "\"Feed the soil, and the soil will feed you,\" as my grandfather used to say.",
    ],
    subheads: &["Jobs for this month", "Top tip"],
    closers: &[
        "Send your gardening questions to our columnist.",
        "Happy gardening.",
    ],
};
