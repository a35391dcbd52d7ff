// geo_distance(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE) RETURNS DOUBLE,
// in JavaScript: the great-circle distance in kilometres between two points given
// in degrees (haversine, mean Earth radius 6371 km, as ksqlDB's GEO_DISTANCE).
import { udf, scalar } from "../../../guest-sdk/js/wasp.js";

const EARTH_RADIUS_KM = 6371;
const RADIANS = Math.PI / 180;

udf(
  "geo_distance",
  {
    params: "lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE",
    returns: "DOUBLE",
    description: "Great-circle distance in km between two (latitude, longitude) points in degrees.",
  },
  (lat1, lon1, lat2, lon2) => {
    const dLat = (lat2 - lat1) * RADIANS;
    const dLon = (lon2 - lon1) * RADIANS;
    const a =
      Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RADIANS) * Math.cos(lat2 * RADIANS) * Math.sin(dLon / 2) ** 2;
    return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(a));
  },
);

export { scalar };
