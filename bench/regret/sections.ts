/** The headings the regret benches own in bench/RESULTS.md (the GP timing is a subsection of the regret one). */
export const SECTION = '## Sampler regret (issue 5)';
export const GP_TIMING_SECTION = '### GPSampler time per suggestion';
