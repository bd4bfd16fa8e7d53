document.title += " (js ran)";
