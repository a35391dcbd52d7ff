//! `geo_distance(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE) RETURNS DOUBLE`:
//! the great-circle distance in kilometres between two points given in degrees,
//! by the haversine formula with the mean Earth radius of 6371 km, as ksqlDB's
//! `GEO_DISTANCE` computes it. The numeric twin of the built-in, for benchmarks;
//! the same function as `udfs/geo-distance/wat` and `udfs/geo-distance/js`.

const EARTH_RADIUS_KM: f64 = 6371.0;

/// Great-circle distance in km between two (latitude, longitude) points in degrees.
#[wasp::udf]
pub fn geo_distance(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let d_lat = (lat2 - lat1).to_radians();
    let d_lon = (lon2 - lon1).to_radians();
    let a =
        (d_lat / 2.0).sin().powi(2) + lat1.to_radians().cos() * lat2.to_radians().cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

wasp::export!(geo_distance);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        assert!((geo_distance(51.5074, -0.1278, 48.8566, 2.3522) - 343.556).abs() < 1e-3);
        assert!((geo_distance(0.0, 0.0, 0.0, 180.0) - 20015.0868).abs() < 1e-3);
        assert_eq!(geo_distance(10.0, 20.0, 10.0, 20.0), 0.0);
    }
}
