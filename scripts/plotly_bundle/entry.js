'use strict';
// newsradar's Plotly build: its charts use three trace types (lines and markers, heatmaps, the choropleth world map).
// The full bundle registers some fifty, which a browser spends over a second evaluating in every new tab.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/scatter'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/choropleth'),
]);

module.exports = Plotly;
